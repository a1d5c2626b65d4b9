import { takeViolations } from './contractViolations';

// Runs after every test (jest setupFilesAfterEnv): a reply that broke the contract fails the
// test that produced it, whatever that test asserted itself.
afterEach(() => {
  expect(takeViolations()).toEqual([]);
});
