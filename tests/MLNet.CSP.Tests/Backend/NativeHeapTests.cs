using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Backend;

namespace MLNet.CSP.Tests.Backend;

/// <summary>The glibc heap settings: applied unless the application chose its own, and what they change in a training run.</summary>
[TestClass]
public sealed class NativeHeapTests
{
    [TestMethod]
    [Timeout(10_000)]
    public void AppliesOnLinuxUnlessTheApplicationChoseItsOwnSettings()
    {
        static string? Skip(Dictionary<string, string> variables, bool linux = true) =>
            NativeHeap.ReasonToSkip(name => variables.GetValueOrDefault(name), linux);

        Assert.IsNull(Skip([]));
        Assert.IsNull(Skip(new() { ["GLIBC_TUNABLES"] = "glibc.cpu.hwcaps=-AVX512F" }), "Tunables of other glibc parts do not count.");
        Assert.AreEqual("not Linux", Skip([], linux: false));
        Assert.AreEqual("MLNET_CSP_GLIBC_HEAP=system", Skip(new() { ["MLNET_CSP_GLIBC_HEAP"] = "System" }));
        Assert.AreEqual("GLIBC_TUNABLES sets malloc", Skip(new() { ["GLIBC_TUNABLES"] = "glibc.malloc.arena_max=2" }));
        Assert.AreEqual("MALLOC_TRIM_THRESHOLD_ is set", Skip(new() { ["MALLOC_TRIM_THRESHOLD_"] = "0" }));
    }

    [TestMethod]
    [Timeout(180_000)]
    public void TrainingReusesTheHeapInsteadOfFaultingPagesInEveryBatch()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("glibc only.");
        (long Faults, string Output) Measure(Dictionary<string, string>? environment)
        {
            string output = ChildProcess.Run("LoadProbePath", environment, "page-faults");
            var match = Regex.Match(output, @"page faults per batch: (\d+)");
            Assert.IsTrue(match.Success, output);
            return (long.Parse(match.Groups[1].Value), output);
        }

        var tuned = Measure(null);
        var system = Measure(new() { [NativeHeap.OptOutVariable] = "system" });
        StringAssert.Contains(tuned.Output, "glibc heap kept for reuse (mmap threshold 32 MiB, no trimming)");
        StringAssert.Contains(system.Output, "glibc heap left as is (MLNET_CSP_GLIBC_HEAP=system)");
        // Measured: about 150 faults per batch with the settings, 3,600 with glibc's defaults (cs3darknet_s 32x32, batch 64).
        Assert.IsTrue(tuned.Faults * 5 < system.Faults, $"page faults per batch: {tuned.Faults} with the settings, {system.Faults} without");
    }
}
