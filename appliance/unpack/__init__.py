"""unpack box of the design; see DESIGN.md."""
