// The README is the contract a newcomer reads: its configuration table names every
// variable the server reads, and its error table every code with the status it has.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { STATUS_BY_CODE } from '../../packages/http-api/src/errors/error-status';

const root = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** The rows of the table that follows a `## <heading>`. */
function tableRows(heading: string): string[] {
  const section = readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  return section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('|---'));
}

describe('README', () => {
  const configuration = tableRows('Configuration').join('\n');
  const variables = [...new Set(readFileSync(path.join(root, 'apps/server/src/config.ts'), 'utf8').match(/PORTHOLE_[A-Z0-9_]+/g) ?? [])];

  it('finds the variables config.ts reads', () => {
    expect(variables.length).toBeGreaterThan(20);
  });

  it.each(variables)('documents %s in the configuration table', (variable) => {
    expect(configuration).toContain(`\`${variable}\``);
  });

  const errors = tableRows('Errors');
  it.each(Object.entries(STATUS_BY_CODE))('lists %s with status %d in the error table', (code, status) => {
    expect(errors.some((row) => row.startsWith(`| ${status} | \`${code}\` |`))).toBe(true);
  });
});
