using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Backend;
using TorchSharp;

namespace MLNet.CSP.Tests.Backend;

[TestClass]
public sealed class TorchThreadsTests
{
    [TestMethod]
    public void AScopeSetsTheCountAndRestoresThePreviousOne()
    {
        int before = torch.get_num_threads();
        using (TorchThreads.Use(1))
        {
            Assert.AreEqual(1, torch.get_num_threads());
            using (TorchThreads.Use(null)) Assert.AreEqual(1, torch.get_num_threads(), "Null leaves the count alone.");
        }
        Assert.AreEqual(before, torch.get_num_threads());
        var scope = TorchThreads.Use(1);
        scope.Dispose();
        scope.Dispose();
        Assert.AreEqual(before, torch.get_num_threads(), "Disposing twice restores once.");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchThreads.Use(0));
    }
}
