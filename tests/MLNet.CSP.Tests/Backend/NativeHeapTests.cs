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
        Assert.AreEqual("MLNET_CSP_GLIBC_HEAP=System", Skip(new() { ["MLNET_CSP_GLIBC_HEAP"] = "System" }), "Any case; the value as given.");
        Assert.AreEqual("GLIBC_TUNABLES sets malloc", Skip(new() { ["GLIBC_TUNABLES"] = "glibc.malloc.arena_max=2" }));
        Assert.AreEqual("MALLOC_TRIM_THRESHOLD_ is set", Skip(new() { ["MALLOC_TRIM_THRESHOLD_"] = "0" }));
        Assert.AreEqual("MALLOC_ARENA_MAX is set", Skip(new() { ["MALLOC_ARENA_MAX"] = "2" }));
        Assert.AreEqual("MLNET_CSP_GLIBC_HEAP=0", Skip(new() { ["MLNET_CSP_GLIBC_HEAP"] = "0" }));
        Assert.AreEqual("jemalloc preloaded", Skip(new() { ["LD_PRELOAD"] = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2" }));
        Assert.IsNull(Skip(new() { ["MLNET_CSP_GLIBC_HEAP"] = "", ["GLIBC_TUNABLES"] = "" }), "An empty opt-out or tunables value asks nothing.");
        Assert.AreEqual("MALLOC_TRIM_THRESHOLD_ is set", Skip(new() { ["MALLOC_TRIM_THRESHOLD_"] = "" }), "glibc reads an empty value too.");
        Assert.AreEqual("TorchBackend.TuneGlibcHeap is false", NativeHeap.ReasonToSkip(_ => null, isLinux: true, enabled: false));
    }

    [TestMethod]
    [Timeout(180_000)]
    public void TrainingReusesTheHeapInsteadOfFaultingPagesInEveryBatch()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("glibc only.");
        // The children do not inherit settings of this process that would make the library leave glibc alone, or change glibc.
        string[] unset = ["GLIBC_TUNABLES", "LD_PRELOAD", NativeHeap.OptOutVariable, .. NativeHeap.GlibcVariables];
        (long Faults, string Output) Measure(Dictionary<string, string> environment)
        {
            string output = ChildProcess.Run("LoadProbePath", environment, unset, "page-faults");
            var match = Regex.Match(output, @"page faults per batch: (\d+)");
            Assert.IsTrue(match.Success, output);
            return (long.Parse(match.Groups[1].Value), output);
        }

        var tuned = Measure([]);
        var system = Measure(new() { [NativeHeap.OptOutVariable] = "system" });
        StringAssert.Contains(tuned.Output, "glibc heap kept for reuse (mmap threshold 32 MiB, no trimming)");
        StringAssert.Contains(system.Output, "glibc heap left as is (MLNET_CSP_GLIBC_HEAP=system)");
        // Measured: about 150 faults per batch with the settings, 3,600 with glibc's defaults (cs3darknet_s 32x32, batch 64). A host
        // whose kernel maps freed memory back cheaply (transparent huge pages always on) may not fault with the defaults either.
        if (system.Faults < 1000) Assert.Inconclusive($"glibc's defaults fault only {system.Faults} pages a batch on this host; nothing to improve.");
        Assert.IsTrue(tuned.Faults * 5 < system.Faults, $"page faults per batch: {tuned.Faults} with the settings, {system.Faults} without");
    }
}
