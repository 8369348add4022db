import path from 'node:path';

/** The repository's models folder (the committed test models). */
export const REPO_MODELS_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'models');
