"""Hardware configuration, ISA, program images and the simulators."""
