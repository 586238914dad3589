/** vmplan's version, recorded in every plan (kept in step with package.json by a test). */
export const VMPLAN_VERSION = '0.1.0';
