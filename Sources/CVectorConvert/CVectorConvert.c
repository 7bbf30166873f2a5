// Header-only module: see include/CVectorConvert.h.
