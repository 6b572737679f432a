"""The report page's style sheet: inline CSS only (system fonts, no web fonts, no network),
so ``report.html`` opens from disk anywhere and prints cleanly."""

CSS = """
:root { --ink:#1f2933; --muted:#52606d; --line:#d9dee4; --bg:#f5f7fa; --accent:#0b3d91; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 16px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top { background:linear-gradient(120deg,#0b3d91,#12355b); color:#fff; padding:36px 0 28px; }
.wrap { max-width:1160px; margin:0 auto; padding:0 28px; }
header.top h1 { margin:0 0 6px; font-size:30px; letter-spacing:-0.01em; }
header.top p { margin:0; color:#d6e2f5; max-width:820px; }
.kicker { text-transform:uppercase; letter-spacing:.12em; font-size:12px; color:#9fc1ee; margin-bottom:8px; }
dl.facts { display:flex; flex-wrap:wrap; gap:10px 28px; margin:20px 0 0; }
dl.facts div { min-width:120px; }
dl.facts dt { font-size:12px; text-transform:uppercase; letter-spacing:.08em; color:#9fc1ee; }
dl.facts dd { margin:0; font-weight:600; }
main.wrap { padding-top:28px; padding-bottom:40px; }
section.card, figure.card { background:#fff; border:1px solid var(--line); border-radius:10px;
  padding:22px 26px; margin:0 0 22px; box-shadow:0 1px 2px rgba(16,24,40,.04); }
h2 { font-size:21px; margin:0 0 12px; }
.note { background:#fff8e1; border:1px solid #f3d37a; border-radius:8px; padding:10px 14px; margin-bottom:18px; }
ul.verdicts { list-style:none; padding:0; margin:0; }
ul.verdicts li { padding:10px 0; border-bottom:1px solid #eef1f4; font-size:17px; }
ul.verdicts li:last-child { border-bottom:0; }
h3 { font-size:15px; text-transform:uppercase; letter-spacing:.08em; color:var(--muted); margin:22px 0 4px; }
ul.verdicts.minor li { font-size:15px; padding:7px 0; }
.tag { display:inline-block; font-size:11.5px; font-weight:700; text-transform:uppercase;
  letter-spacing:.06em; border-radius:999px; padding:2px 10px; margin-right:10px; vertical-align:2px; }
.tag.clear { background:#dcf3e6; color:#11643a; }
.tag.unclear { background:#eceff3; color:#52606d; }
.scroll { overflow-x:auto; }
table.results { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; font-size:15px; }
table.results th, table.results td { padding:9px 12px; border-bottom:1px solid #e6e9ee;
  text-align:right; vertical-align:top; }
table.results thead th { font-size:13px; color:var(--muted); font-weight:700; border-bottom:2px solid #c7ced6; }
table.results th:first-child { text-align:left; }
table.results tbody th { font-weight:600; }
table.results tbody tr:nth-child(even) { background:#fafbfc; }
.value { display:block; font-weight:600; white-space:nowrap; }
.ci { display:block; font-size:12.5px; color:var(--muted); font-weight:400; white-space:nowrap; }
table.results tbody th { white-space:nowrap; }
.swatch { display:inline-block; width:11px; height:11px; border-radius:3px; margin-right:7px; vertical-align:0; }
.tablenote { font-size:13px; color:var(--muted); margin:10px 0 0; }
nav.toc ol { columns:2; margin:0; padding-left:20px; }
nav.toc a { color:var(--accent); text-decoration:none; }
figure.card { margin:0 0 22px; }
figure.card h2 { margin-bottom:6px; }
figure.card img { width:100%; height:auto; display:block; margin-top:10px; }
figcaption { color:#334e68; font-size:16.5px; }
footer { color:var(--muted); font-size:13px; padding:0 0 40px; }
footer code { font-size:12px; }
@media print {
  body { background:#fff; font-size:12pt; }
  header.top { -webkit-print-color-adjust:exact; print-color-adjust:exact; }
  section.card, figure.card { break-inside:avoid; box-shadow:none; }
  nav.toc { display:none; }
}
"""
