//! The cold chain of a unit on its public trace.
