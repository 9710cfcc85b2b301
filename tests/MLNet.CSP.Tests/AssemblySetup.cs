using Microsoft.VisualStudio.TestTools.UnitTesting;

// Torch uses both cores inside each test; running tests side by side would only add contention.
[assembly: DoNotParallelize]
