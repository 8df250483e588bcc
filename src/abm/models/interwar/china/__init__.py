"""The China slice: the CCP after 1927, the KMT, the militarists and Japan's army in China."""
