// The frame of every khva-bench HTML page: self-contained, and a CSP that forbids scripts, fonts and any
// request, so a page shows only what it was written with.

/** A whole page: `title` in the tab and as its heading, `style` inline, then `body` (trusted HTML). */
export function htmlPage(title: string, style: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>${style}</style>
</head>
<body>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}
