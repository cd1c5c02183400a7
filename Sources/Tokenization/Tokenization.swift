// Tokenization: see ../shared/DESIGN.md section 2 for what this module owns.
