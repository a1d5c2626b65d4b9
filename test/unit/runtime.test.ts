import { isAtLeast, requiredNode } from '../../src/runtime';

describe('the runtime', () => {
  test('when the engines field is read, then it names Node.js 24 or later', () => {
    expect(Number(requiredNode().split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  test('when the tests run, then they run on the runtime the engines field requires', () => {
    expect(isAtLeast(process.versions.node, requiredNode())).toBe(true);
  });

  test.each([
    ['24.22.3', '24.11.0', true],
    ['24.11.0', '24.11.0', true],
    ['24.10.9', '24.11.0', false],
    ['20.20.2', '24.11.0', false],
    ['26.0.0', '24.11.0', true],
    ['24.11.1', '24.11.2', false],
  ])('when the version is %s and the minimum %s, then supported is %s', (version, minimum, expected) => {
    expect(isAtLeast(version, minimum)).toBe(expected);
  });
});
