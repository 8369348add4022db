import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What a test needs from outside the repository. In CI (CI set) everything must be there and a
 * missing piece fails the test; outside CI a suite that needs it is skipped, saying why.
 */
export const IN_CI = !!process.env.CI && process.env.CI !== 'false';

/** ../shared beside the repository (test data, models, validators). */
export const SHARED_DIR = path.resolve(__dirname, '..', '..', '..', 'shared');
export const DATA_DIR = path.join(SHARED_DIR, 'data');
export const DICOM_DIR = path.join(DATA_DIR, 'dicom');
export const BRAIN_SERIES_DIR = path.join(DATA_DIR, 'mr-brain-t1-axial');
export const SHARED_MODELS_DIR = path.join(SHARED_DIR, 'models');
export const VALIDATE_DICOM = path.join(SHARED_DIR, 'tools', 'validate-dicom');

/**
 * The files `../shared/data/README.md` lists as malformed on purpose (dcmdump rejects them),
 * relative to DICOM_DIR.
 */
export const MALFORMED_FILES: readonly string[] = [
  'fo-dicom/DIRW0007',
  'fo-dicom/FreezePattern.dcm',
  'fo-dicom/GH1339.dcm',
  'fo-dicom/GH179B.dcm',
  'fo-dicom/GH364.dcm',
  'fo-dicom/GH626.dcm',
  'pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm',
  'pydicom_deb/test_files/MR_truncated.dcm',
  'pydicom_deb/test_files/SC_rgb_jpeg.dcm',
  'pydicom_deb/test_files/no_meta.dcm',
  'pydicom_deb/test_files/rtplan_truncated.dcm',
];

export function hasShared(): boolean {
  return fs.existsSync(path.join(DATA_DIR, 'README.md'));
}

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${JSON.stringify(name).slice(1, -1)}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` when every need is met (or in CI, where a missing need fails loudly), otherwise
 * `describe.skip` with a line that says what is missing.
 */
export function describeIf(needs: { shared?: boolean; tools?: string[] }): jest.Describe {
  const missing: string[] = [];
  if (needs.shared && !hasShared()) missing.push(`../shared (looked in ${SHARED_DIR})`);
  for (const t of needs.tools ?? []) if (!hasTool(t)) missing.push(`the tool ${t}`);
  if (missing.length === 0 || IN_CI) return describe;
  console.warn(`skipping (CI is unset): missing ${missing.join(', ')}`);
  return describe.skip;
}

/** A fresh temporary folder under the OS temp dir. */
export function tempDir(prefix = 'pacs-ai-node-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Environment for DCMTK tools: they stall on Nagle's algorithm without TCP_NODELAY=1. */
export function dcmtkEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TCP_NODELAY: '1' };
}
