# Shared, header-only declarations for the insole kernels (no runtime module).

ctypedef fused value_t:
    float
    double
    unsigned char
    unsigned short
    short
    int
