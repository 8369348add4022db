import { whereEquals } from '../../../src/db/whereEquals';

describe('whereEquals', () => {
  test('only the conditions with a value, joined with AND, arguments in order', () => {
    expect(whereEquals({ state: 'complete', study_instance_uid: undefined, modality: 'CT' })).toEqual({
      sql: 'WHERE state = ? AND modality = ?',
      args: ['complete', 'CT'],
    });
  });

  test('no condition with a value: no WHERE clause', () => {
    expect(whereEquals({ state: undefined, series_instance_uid: '' })).toEqual({ sql: '', args: [] });
  });
});
