/** Who is asking. Admins act on every container; users only on containers they own. */
export interface Principal {
  readonly id: string;
  readonly role: 'admin' | 'user';
}
