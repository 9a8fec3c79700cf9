// lagpilot's version, from package.json, for --version and lagpilot_build_info.
import packageJson from '../package.json' with { type: 'json' };

export const lagpilotVersion: string = packageJson.version;
