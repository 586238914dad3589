// The action's main step (action.yml: runs.main). Built by npm run package.
import './main/index.js';
