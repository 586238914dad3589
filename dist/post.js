// The action's post step (action.yml: runs.post). Built by npm run package.
import './post/index.js';
