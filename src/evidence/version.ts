// Written into every bundle's genesis. A unit test keeps it equal to package.json's version: bump both together.
export const LIBRARY_NAME = 'livecheck';
export const LIBRARY_VERSION = '0.2.0';
