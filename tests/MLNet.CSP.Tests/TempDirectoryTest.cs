using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests;

/// <summary>Base of test classes that write files: a fresh temporary folder per test, deleted afterwards.</summary>
public abstract class TempDirectoryTest
{
    protected string Folder { get; private set; } = null!;

    [TestInitialize]
    public void CreateFolder() => Folder = Directory.CreateTempSubdirectory($"csp-{GetType().Name}-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(Folder, recursive: true);
}
