import { Allow, IsOptional, IsString, ValidateIf, validate, type ValidationError } from 'class-validator';
import { DomainErrors, type DomainError, type FieldIssue } from '@porthole/core';

const PORT_FIELDS = new Set(['container_port', 'local_port']);
const CREATE_FIELDS = new Set([...PORT_FIELDS, 'name', 'custom_domain']);
/** What `PATCH .../port-forwards/:id` may change. */
const UPDATE_FIELDS = new Set(['custom_domain']);

/**
 * The body of `POST .../port-forwards`. Ports are only declared here: their checks (integer,
 * 1..65535, no coercion) are the core's `parsePortNumber`, so the rule lives in one place.
 */
export class CreateForwardDto {
  @Allow()
  container_port?: unknown;

  @Allow()
  local_port?: unknown;

  @IsOptional()
  @ValidateIf((_dto, value) => value !== null)
  @IsString({ message: 'name must be a string or null.' })
  name?: string | null;

  /** Checked by the core (normalizeCustomDomain), like the ports. */
  @Allow()
  custom_domain?: unknown;
}

function issuesOf(errors: readonly ValidationError[]): FieldIssue[] {
  return errors.flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => ({ field: error.property, message })),
  );
}

/**
 * Unknown fields are refused by name, not through class-validator's whitelist: that one
 * does not see a "__proto__" key, which JSON.parse happily makes an own property.
 */
function unknownFieldIssues(body: Record<string, unknown>, known: ReadonlySet<string>, say: (field: string) => string): FieldIssue[] {
  return Object.keys(body)
    .filter((key) => !known.has(key))
    .map((field) => ({ field, message: say(field) }));
}

/**
 * Copies own properties onto a DTO instance without ever touching its prototype: a JSON
 * body may carry a "__proto__" key, which Object.assign would turn into a prototype swap.
 */
function toDto(body: Record<string, unknown>): CreateForwardDto {
  const dto = new CreateForwardDto();
  for (const key of Object.keys(body).filter((k) => CREATE_FIELDS.has(k))) {
    Object.defineProperty(dto, key, { value: body[key], enumerable: true, writable: true, configurable: true });
  }
  return dto;
}

/**
 * Validates a parsed JSON body. Resolves the DTO or rejects with `invalid_request`
 * (wrong shape, unknown or wrongly typed fields), listing every problem in `details`.
 * Port values are checked afterwards by the core (`invalid_port`).
 */
export async function parseCreateForward(body: unknown): Promise<CreateForwardDto> {
  if (!isJsonObject(body)) {
    throw DomainErrors.invalidRequest(
      'The request body must be a JSON object like {"container_port": 8080}, sent with Content-Type: application/json.',
    );
  }
  const unknown = unknownFieldIssues(body, CREATE_FIELDS, (field) => `${field} is not a known field.`);
  const dto = toDto(body as Record<string, unknown>);
  const errors = await validate(dto, { forbidUnknownValues: true });
  const issues = [...unknown, ...issuesOf(errors).filter((issue) => !PORT_FIELDS.has(issue.field))];
  if (issues.length > 0) throw invalidRequest(issues);
  return dto;
}

/**
 * The body of `PATCH .../port-forwards/:id`: `{"custom_domain": "app.example.com" | null}`.
 * Only the custom domain can change; the rest of a forward is what it was made with.
 */
export function parseUpdateForward(body: unknown): { customDomain: unknown } {
  if (!isJsonObject(body)) {
    throw DomainErrors.invalidRequest(
      'The request body must be a JSON object like {"custom_domain": "app.example.com"} (or null to remove it), sent with Content-Type: application/json.',
    );
  }
  const issues = unknownFieldIssues(body, UPDATE_FIELDS, (field) => `${field} cannot be changed; only custom_domain can.`);
  if (!Object.prototype.hasOwnProperty.call(body, 'custom_domain')) {
    issues.push({ field: 'custom_domain', message: 'custom_domain is required: a host name, or null to remove it.' });
  }
  if (issues.length > 0) throw invalidRequest(issues);
  return { customDomain: body['custom_domain'] };
}

function isJsonObject(body: unknown): body is Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body);
}

function invalidRequest(issues: readonly FieldIssue[]): DomainError {
  const summary = issues.map((issue) => issue.message).join(' ');
  return DomainErrors.invalidRequest(`The request is not valid: ${summary}`, issues);
}
