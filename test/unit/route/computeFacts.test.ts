import { computeFacts, orientationName, parseAgeString, type SeriesRoutingInput } from '../../../src/route';

const peer = { callingAeTitle: ' CT01 ', calledAeTitle: 'PACSAI', peerAddress: '127.0.0.1' };
const AXIAL = [1, 0, 0, 0, 1, 0];

function series(headers: Array<Record<string, unknown>>): SeriesRoutingInput {
  return { headers, peer };
}

describe('patient age (PS3.5 6.2 AS, else birth and study dates)', () => {
  const table: Array<[string, number, number]> = [
    ['045Y', 45, Math.floor(45 * 365.25)],
    ['003M', 0, Math.floor(3 * (365.25 / 12))],
    ['010D', 0, 10],
    ['002W', 0, 14],
    ['018M', 1, Math.floor(18 * (365.25 / 12))],
    ['45Y', 45, Math.floor(45 * 365.25)], // tolerant: missing leading zero
    ['62', 62, Math.floor(62 * 365.25)], // tolerant: a bare number is years
  ];
  it.each(table)('PatientAge %s → %d years, %d days', (as, years, days) => {
    const f = computeFacts(series([{ PatientAge: as }]));
    expect(f.patientAgeYears).toBe(years);
    expect(f.patientAgeDays).toBe(days);
  });

  it('falls back to birth date and study date, counting completed years', () => {
    expect(
      computeFacts(series([{ PatientBirthDate: '19800615', StudyDate: '20250614' }])).patientAgeYears,
    ).toBe(44);
    expect(
      computeFacts(series([{ PatientBirthDate: '19800615', StudyDate: '20250615' }])).patientAgeYears,
    ).toBe(45);
    const neonate = computeFacts(series([{ PatientBirthDate: '20260101', StudyDate: '20260121' }]));
    expect(neonate).toMatchObject({ patientAgeYears: 0, patientAgeDays: 20 });
    // Leap day: 2024-02-28 → 2024-03-01 is 2 days.
    expect(
      computeFacts(series([{ PatientBirthDate: '20240228', StudyDate: '20240301' }])).patientAgeDays,
    ).toBe(2);
    // Series Date when there is no Study Date.
    expect(
      computeFacts(series([{ PatientBirthDate: '20260101', SeriesDate: '20260108' }])).patientAgeDays,
    ).toBe(7);
  });

  it('prefers PatientAge, and gives null when nothing usable is there', () => {
    expect(
      computeFacts(series([{ PatientAge: '030Y', PatientBirthDate: '20000101', StudyDate: '20260101' }]))
        .patientAgeYears,
    ).toBe(30);
    for (const h of [
      {},
      { PatientAge: 'abc' },
      { PatientBirthDate: '2020', StudyDate: '20260101' },
      { PatientBirthDate: '20270101', StudyDate: '20260101' },
    ]) {
      const f = computeFacts(series([h]));
      expect(f.patientAgeYears).toBeNull();
      expect(f.patientAgeDays).toBeNull();
    }
    expect(parseAgeString('012X')).toBeNull();
    expect(parseAgeString(null)).toBeNull();
  });
});

describe('counts', () => {
  it('counts instances and frames (Number of Frames defaults to 1)', () => {
    const f = computeFacts(series([{ NumberOfFrames: 10 }, { NumberOfFrames: '5' }, {}]));
    expect(f.instanceCount).toBe(3);
    expect(f.frameCount).toBe(16);
  });
  it('trims the peer and reads it as facts', () => {
    const f = computeFacts(series([{}]));
    expect(f).toMatchObject({ callingAeTitle: 'CT01', calledAeTitle: 'PACSAI', peerAddress: '127.0.0.1' });
  });
});

describe('geometry', () => {
  it('slice spacing is the median gap along the normal, whatever the order, ignoring duplicates', () => {
    const zs = [10, 0, 2.5, 5, 5, 7.5, 20]; // one duplicate, one gap
    const headers = zs.map((z) => ({
      ImageOrientationPatient: AXIAL,
      ImagePositionPatient: [-100, -100, z],
    }));
    expect(computeFacts(series(headers)).sliceSpacingMm).toBe(2.5);
  });

  it('measures spacing on the slice normal for sagittal slices', () => {
    const iop = [0, 1, 0, 0, 0, -1];
    const headers = [0, 1.2, 2.4, 3.6].map((x) => ({
      ImageOrientationPatient: iop,
      ImagePositionPatient: [x, 50, 80],
    }));
    const f = computeFacts(series(headers));
    expect(f.sliceSpacingMm).toBe(1.2);
    expect(f.orientation).toBe('SAGITTAL');
  });

  it('reads per-frame positions of an enhanced multi-frame instance (PS3.3 C.7.6.16)', () => {
    const h = {
      NumberOfFrames: 3,
      SharedFunctionalGroupsSequence: [
        {
          PlaneOrientationSequence: [{ ImageOrientationPatient: AXIAL }],
          PixelMeasuresSequence: [{ PixelSpacing: [0.7, 0.8], SliceThickness: 3 }],
        },
      ],
      PerFrameFunctionalGroupsSequence: [0, 3, 6].map((z) => ({
        PlanePositionSequence: [{ ImagePositionPatient: [0, 0, z] }],
      })),
    };
    const f = computeFacts(series([h]));
    expect(f).toMatchObject({
      frameCount: 3,
      sliceSpacingMm: 3,
      sliceThicknessMm: 3,
      pixelSpacingMm: 0.8,
      orientation: 'AXIAL',
    });
  });

  it('one slice, or no geometry, gives no spacing and no orientation', () => {
    expect(
      computeFacts(series([{ ImageOrientationPatient: AXIAL, ImagePositionPatient: [0, 0, 0] }]))
        .sliceSpacingMm,
    ).toBeNull();
    expect(computeFacts(series([{}]))).toMatchObject({
      sliceSpacingMm: null,
      orientation: null,
      pixelSpacingMm: null,
      sliceThicknessMm: null,
    });
  });

  it('pixel spacing: the larger of row and column; Imager Pixel Spacing for projection images', () => {
    expect(computeFacts(series([{ PixelSpacing: [0.5, 0.6] }])).pixelSpacingMm).toBe(0.6);
    expect(computeFacts(series([{ ImagerPixelSpacing: [0.143, 0.143] }])).pixelSpacingMm).toBe(0.143);
  });

  const orientations: Array<[number[], string]> = [
    [[1, 0, 0, 0, 1, 0], 'AXIAL'],
    [[1, 0, 0, 0, 0, -1], 'CORONAL'],
    [[0, 1, 0, 0, 0, -1], 'SAGITTAL'],
    [[1, 0, 0, 0, Math.cos(0.3), Math.sin(0.3)], 'AXIAL'], // 17 degrees off axial
    [[1, 0, 0, 0, Math.cos(0.7), Math.sin(0.7)], 'OBLIQUE'], // 40 degrees off
  ];
  it.each(orientations)('ImageOrientationPatient %j → %s', (iop, name) => {
    expect(orientationName(iop)).toBe(name);
  });
});
