import { UsageError, checkName, parseGrace } from '../../src/cli/common';
import { USAGE, parseCommand } from '../../src/cli/consumersCli';

describe('consumers command arguments', () => {
  test('when add has no --partner, then the consumer reads every partner (null), not none ([])', () => {
    expect(parseCommand(['add', 'reporting'])).toEqual({ command: 'add', name: 'reporting', json: false, partners: null, graceMs: undefined });
  });

  test('when --partner repeats, then each partner is kept once, sorted', () => {
    expect(parseCommand(['add', 'r', '--partner', 'zeta', '--partner', 'alpha', '--partner', 'zeta', '--json'])).toMatchObject({
      partners: ['alpha', 'zeta'],
      json: true,
    });
  });

  test('when rotate has --grace, then it is read in milliseconds; without it, the default is left to the caller', () => {
    expect(parseCommand(['rotate', 'r', '--grace', '90m']).graceMs).toBe(90 * 60 * 1000);
    expect(parseCommand(['rotate', 'r']).graceMs).toBeUndefined();
  });

  test.each([
    [['add', 'r', '--partner', 'UPPER']],
    [['add', 'r', '--partner', '']],
    [['list', '--partner', 'acme']],
    [['rotate', 'r', '--grace', '31d']],
    [['revoke']],
    [['rotate-key', 'r']],
  ])('when the arguments are %p, then they are refused as a usage error', (argv) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
  });

  test('when the usage is printed, then it names every command and the shared name rule', () => {
    for (const word of ['add <name>', 'list', 'rotate <name>', 'revoke <name>', '--partner', '--grace', 'Names are 1 to 63 characters']) {
      expect(USAGE).toContain(word);
    }
  });
});

describe('shared command helpers', () => {
  test.each(['a', 'acme-clinic', 'x.y_z-1', '0abc', 'a'.repeat(63)])('when the name is %p, then it is accepted', (name) => {
    expect(checkName(name, 'consumer')).toBe(name);
  });

  test.each(['', '-acme', 'Acme', 'acme clinic', 'a'.repeat(64), 'ä'])('when the name is %p, then the error names what it was meant to name', (name) => {
    expect(() => checkName(name, 'consumer')).toThrow(`is not a valid consumer name`);
  });

  test('when --grace is a duration up to 30 days, then it is read; otherwise it is a usage error', () => {
    expect(parseGrace(undefined)).toBeUndefined();
    expect(parseGrace('30s')).toBe(30_000);
    expect(parseGrace('30d')).toBe(30 * 86_400_000);
    expect(() => parseGrace('31d')).toThrow(UsageError);
    expect(() => parseGrace('1w')).toThrow(UsageError);
  });
});
