import { findJsonHazard, MAX_DEPTH } from '../../src/http/jsonHazards';

describe('findJsonHazard', () => {
  test.each([
    ['{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}'],
    ['{"s":"a \\"quoted\\" {brace} [bracket], comma","t":"\\\\"}'],
    ['[1,2,{"x":"y"}]'],
    ['"just a string with { and \\"a\\": 1"'],
    ['{"extra":{"$gt":"","__proto__":1}}'],
    [`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`],
  ])('when the JSON is ordinary (%s), then there is no hazard', (text) => {
    expect(findJsonHazard(text)).toBeUndefined();
  });

  test.each([
    ['{"a":1,"a":2}', 'duplicate_key'],
    ['{"a":1,"\\u0061":2}', 'duplicate_key'],
    ['{"x":{"b":1,"c":2,"b":3}}', 'duplicate_key'],
    ['[{"k":1},{"k":2,"k":3}]', 'duplicate_key'],
    ['{"__proto__":{"admin":true}}', 'forbidden_key'],
    ['{"constructor":{"prototype":{}}}', 'forbidden_key'],
    ['{"prototype":1}', 'forbidden_key'],
    ['{"a":1,"$where":"1"}', 'forbidden_key'],
    ['{"\\u005f_proto__":{"admin":true}}', 'forbidden_key'],
    ['{"\\u0024where":"1"}', 'forbidden_key'],
    ['{"a\\"b":1,"a\\u0022b":2}', 'duplicate_key'],
    [`${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`, 'too_deep'],
  ])('when the JSON is %s, then the hazard is %s', (text, hazard) => {
    expect(findJsonHazard(text)).toBe(hazard);
  });
});
