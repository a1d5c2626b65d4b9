import { InternalFault } from '../../src/errors';
import { describe as describeError } from '../../src/http/requestLog';

describe('what the log keeps of an unexpected error', () => {
  test('when a library error quotes data in its message, even over lines that look like stack frames, then none of it is kept', () => {
    const err = new TypeError('cannot store document\n    at path /patient_id: P123-SECRET\nsee above');
    const described = describeError(err)!;
    expect(JSON.stringify(described)).not.toContain('P123-SECRET');
    expect(described).toMatchObject({ name: 'TypeError' });
    expect((described.stack as string[]).length).toBeGreaterThan(0);
    expect((described.stack as string[]).every((frame) => frame.startsWith('at '))).toBe(true);
  });

  test('when the service wrote the message itself, then it is kept, and so are the codes and the cause', () => {
    const cause = Object.assign(new Error('E11000 duplicate key: { patient_id: "P123-SECRET" }'), { code: 11000, codeName: 'DuplicateKey' });
    const described = describeError(new InternalFault('index.html is not built: run npm run docs', { cause }))!;
    expect(described).toMatchObject({ name: 'InternalFault', message: 'index.html is not built: run npm run docs', cause: { name: 'Error', code: 11000, codeName: 'DuplicateKey' } });
    expect(JSON.stringify(described)).not.toContain('P123-SECRET');
  });
});
