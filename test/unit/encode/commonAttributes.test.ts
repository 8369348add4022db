import { anatomyAttributes, patientStudyAttributes } from '../../../src/encode/commonAttributes';
import { normalizeDa, normalizeDateTimes, normalizeTm } from '../../../src/encode/normalizeDateTimes';
import { fromDataset } from '../../../src/encode/sourceInstances';
import { inMemoryRef } from './syntheticSeries';

describe('patient and study attributes', () => {
  it('copies the Type 2 attributes verbatim, empty when absent, and drops an invalid Patient Age', () => {
    const src = fromDataset(inMemoryRef, {
      PatientName: [{ Alphabetic: 'Doe^Jane' }],
      PatientID: 'P1',
      StudyInstanceUID: '1.2.3.4',
      StudyDate: '20240101',
      PatientAge: '62',
      PatientWeight: 70,
      Modality: 'CR',
    });
    const out = patientStudyAttributes(src);
    expect(out).toMatchObject({
      PatientName: [{ Alphabetic: 'Doe^Jane' }],
      PatientID: 'P1',
      PatientBirthDate: '',
      PatientSex: '',
      StudyInstanceUID: '1.2.3.4',
      StudyDate: '20240101',
      StudyTime: '',
      ReferringPhysicianName: '',
      StudyID: '',
      AccessionNumber: '',
      PatientWeight: 70,
    });
    expect(out.PatientAge).toBeUndefined();
    expect(out.Modality).toBeUndefined();
  });

  it('rewrites ACR-NEMA dates and times dcmjs cannot write', () => {
    expect(normalizeDa('1993.04.30')).toBe('19930430');
    expect(normalizeDa('20240101')).toBe('20240101');
    expect(normalizeDa('30 April 1993')).toBe('');
    expect(normalizeTm('11:27:24')).toBe('112724');
    expect(normalizeTm('112724.123')).toBe('112724.123');
    expect(
      normalizeDateTimes({ StudyDate: '1993.04.30', PatientID: '1993.04.30', ContentTime: ['11:27'] }),
    ).toEqual({
      StudyDate: '19930430',
      PatientID: '1993.04.30',
      ContentTime: ['1127'],
    });
  });
});

describe('anatomy attributes (Laterality 2C)', () => {
  const anatomy = (ds: Record<string, unknown>, classic: boolean): Record<string, unknown> =>
    anatomyAttributes(fromDataset(inMemoryRef, ds), classic);

  it('copies Laterality and Body Part Examined when the source has them', () => {
    expect(anatomy({ Laterality: 'L', BodyPartExamined: 'KNEE' }, false)).toEqual({
      Laterality: 'L',
      BodyPartExamined: 'KNEE',
    });
  });

  it('leaves Laterality absent for enhanced objects (SEG) when unknown', () => {
    expect(anatomy({}, false)).toEqual({});
  });

  it('for classic objects (SC): takes Image Laterality, else writes it empty for unknown or paired parts', () => {
    expect(anatomy({ BodyPartExamined: 'BREAST', ImageLaterality: 'R' }, true)).toEqual({
      BodyPartExamined: 'BREAST',
      Laterality: 'R',
    });
    expect(anatomy({ BodyPartExamined: 'KNEE' }, true)).toEqual({ BodyPartExamined: 'KNEE', Laterality: '' });
    expect(anatomy({}, true)).toEqual({ Laterality: '' });
    expect(anatomy({ BodyPartExamined: 'HEAD' }, true)).toEqual({ BodyPartExamined: 'HEAD' });
  });
});
