"""The analyst dashboard: Plotly figures built from plain numbers, and the pages that show them."""
