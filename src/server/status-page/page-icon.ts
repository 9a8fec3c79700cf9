// The page's icon: a rising step (replicas following lag), so browsers ask for no /favicon.ico.
export const statusPageIcon = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d2430"/><path d="M3 12h3V8h3V5h4" fill="none" stroke="#d9730d" stroke-width="2"/></svg>\n';
