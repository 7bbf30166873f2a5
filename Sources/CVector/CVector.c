// Header-only module: see include/CVector.h.
