"""Pure drawing code: server-side SVG charts for pages and the PDF report (no database)."""
