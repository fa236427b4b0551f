import { Allow, IsOptional, IsString, ValidateIf, validate, type ValidationError } from 'class-validator';
import { DomainErrors, type DomainError, type FieldIssue } from '@porthole/core';

const PORT_FIELDS = new Set(['container_port', 'local_port']);
const KNOWN_FIELDS = new Set([...PORT_FIELDS, 'name']);

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
function unknownFieldIssues(body: Record<string, unknown>): FieldIssue[] {
  return Object.keys(body)
    .filter((key) => !KNOWN_FIELDS.has(key))
    .map((field) => ({ field, message: `${field} is not a known field.` }));
}

/**
 * Copies own properties onto a DTO instance without ever touching its prototype: a JSON
 * body may carry a "__proto__" key, which Object.assign would turn into a prototype swap.
 */
function toDto(body: Record<string, unknown>): CreateForwardDto {
  const dto = new CreateForwardDto();
  for (const key of Object.keys(body).filter((k) => KNOWN_FIELDS.has(k))) {
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
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw DomainErrors.invalidRequest(
      'The request body must be a JSON object like {"container_port": 8080}, sent with Content-Type: application/json.',
    );
  }
  const unknown = unknownFieldIssues(body as Record<string, unknown>);
  const dto = toDto(body as Record<string, unknown>);
  const errors = await validate(dto, { forbidUnknownValues: true });
  const issues = [...unknown, ...issuesOf(errors).filter((issue) => !PORT_FIELDS.has(issue.field))];
  if (issues.length > 0) throw invalidRequest(issues);
  return dto;
}

function invalidRequest(issues: readonly FieldIssue[]): DomainError {
  const summary = issues.map((issue) => issue.message).join(' ');
  return DomainErrors.invalidRequest(`The request is not valid: ${summary}`, issues);
}
