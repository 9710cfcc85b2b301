using MLNet.CSP.Backend;
using MLNet.CSP.Models.Layers;
using MLNet.CSP.Tests.Models;
using MLNet.CSP.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Backend;

/// <summary>The self-check, the path choice and the safe paths themselves, on this machine and with injected findings.</summary>
[TestClass]
public sealed class TorchBackendTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestCleanup]
    public void Restore()
    {
        TorchBackend.TopologyReader = null;
        TorchBackend.SelfCheck = null;
        TorchBackend.Reset();
    }

    [TestMethod]
    public void ThisMachineGetsAReliablePathAndHiddenTopologyNeverGetsOneDnn()
    {
        var status = TorchBackend.Status;
        TestContext.WriteLine(status.Describe());
        Assert.IsTrue(status.IsReliable, status.Describe());
        Assert.AreEqual(torch.get_num_threads(), status.Threads);
        if (status.Topology.IsHidden) Assert.AreNotEqual(ConvolutionPath.OneDnn, status.Path, "oneDNN's 1x1 blocking can crash where the topology is hidden.");
        StringAssert.Contains(status.Describe(), status.Path.ToString());
    }

    [TestMethod]
    [DataRow(ConvolutionPath.ChannelsLastGemm)]
    [DataRow(ConvolutionPath.NoOneDnn)]
    public void SafePathsAreRightOnThisMachine(ConvolutionPath path)
    {
        using var use = TorchBackend.UsePath(path);
        var results = NumericsSelfCheck.Run(path);
        foreach (var r in results) TestContext.WriteLine(r.ToString());
        Assert.IsTrue(results.All(r => r.Passed), string.Join("\n", results.Where(r => !r.Passed)));
        Assert.IsTrue(results.Any(r => r.Case.Contains("1x1 256->512")), "The small-map 1x1 case runs on the safe paths.");
    }

    [TestMethod]
    public void InjectedHiddenTopologyChoosesASafePathAndSaysWhy()
    {
        TorchBackend.TopologyReader = (leaf, sub) => leaf == 0 ? (16, 0x68747541, 0x444d4163, 0x69746e65) : leaf == unchecked((int)0x80000000) ? (unchecked((int)0x80000028), 0, 0, 0) : (0, 0, 0, 0);
        TorchBackend.Reset();
        var status = TorchBackend.Status;
        Assert.IsTrue(status.Topology.IsHidden);
        Assert.AreEqual(ConvolutionPath.ChannelsLastGemm, status.Path, status.Describe());
        Assert.IsTrue(status.IsReliable, status.Describe());
        StringAssert.Contains(status.Describe(), "hidden");
    }

    [TestMethod]
    public void TheSelfCheckCatchesWrongOutputsAndWrongGradients()
    {
        // Faults injected on top of the path this machine trusts (plain conv2d would bring in oneDNN's own faults, and
        // its channels-last 1x1 kernels can crash the process where the cache topology is hidden).
        var path = TorchBackend.Status.Path;
        Tensor Right(Tensor x, Tensor w, Tensor? b, long[] s, long[] p, long[] d, long g) => Convolutions.Forward(x, w, b, s, p, d, g, path);

        // Wrong like the real fault: NCHW convolutions whose input channels are not a multiple of 16 are 5% off.
        var forwardFault = NumericsSelfCheck.Run((x, w, b, s, p, d, g) =>
        {
            var y = Right(x, w, b, s, p, d, g);
            return x.stride(1) != 1 && x.shape[1] % 16 != 0 ? y * 1.05 : y;
        }, skipChannelsLastPointwise: false);
        Assert.IsTrue(forwardFault.Where(r => r.Case.Contains("NCHW") && !r.Case.Contains("1x1")).All(r => !r.Passed && r.OutputError > 0.04));
        Assert.IsTrue(forwardFault.Where(r => r.Case.Contains("channels-last")).All(r => r.Passed));

        // Right values, wrong weight gradient (a term that adds zero but carries gradient).
        var gradientFault = NumericsSelfCheck.Run((x, w, b, s, p, d, g) =>
        {
            var y = Right(x, w, b, s, p, d, g);
            var extra = Right(x, w * 0.1, null, s, p, d, g);
            return y + extra - extra.detach();
        }, skipChannelsLastPointwise: false);
        Assert.IsTrue(gradientFault.All(r => r.OutputError < SelfCheckResult.Tolerance && !r.Passed && r.WeightGradientError > 0.05));
    }

    /// <summary>An AMD processor whose CPUID shows its caches (a 32 KB L1 data cache in leaf 0x8000001D): a visible topology.</summary>
    private static (int, int, int, int) VisibleAmd(int leaf, int sub) => leaf switch
    {
        0 => (16, 0x68747541, 0x444d4163, 0x69746e65),
        unchecked((int)0x80000000) => (unchecked((int)0x80000028), 0, 0, 0),
        unchecked((int)0x8000001D) when sub == 0 => (1 | (1 << 5), (7 << 22) | 63, 63, 0),
        _ => (0, 0, 0, 0),
    };

    [TestMethod]
    public void AHealthyMachineWithAVisibleTopologyKeepsOneDnn()
    {
        TorchBackend.TopologyReader = VisibleAmd;
        var checkedPaths = new List<ConvolutionPath>();
        TorchBackend.SelfCheck = (path, _) => { checkedPaths.Add(path); return [new SelfCheckResult($"case on {path}", 0, 0, 0)]; };
        TorchBackend.Reset();
        var status = TorchBackend.Status;
        Assert.IsFalse(status.Topology.IsHidden, status.Describe());
        Assert.AreEqual(ConvolutionPath.OneDnn, status.Path, status.Describe());
        CollectionAssert.AreEqual(new[] { ConvolutionPath.OneDnn }, checkedPaths, "oneDNN is checked first and kept when right.");
        Assert.IsEmpty(status.Rejected);
    }

    [TestMethod]
    public void OneDnnFailingItsCheckOnAVisibleTopologyFallsBackToChannelsLastGemm()
    {
        TorchBackend.TopologyReader = VisibleAmd;
        TorchBackend.SelfCheck = (path, _) => [new SelfCheckResult($"case on {path}", path == ConvolutionPath.OneDnn ? 0.2 : 0, 0, 0)];
        TorchBackend.Reset();
        var status = TorchBackend.Status;
        Assert.IsFalse(status.Topology.IsHidden);
        Assert.AreEqual(ConvolutionPath.ChannelsLastGemm, status.Path, status.Describe());
        Assert.IsTrue(status.IsReliable);
        Assert.HasCount(1, status.Rejected);
        StringAssert.Contains(status.Rejected[0], "OneDnn");
    }

    [TestMethod]
    public void WhenNoPathIsRightEveryNetworkCallThrowsWithTheFindings()
    {
        TorchBackend.SelfCheck = (path, _) => [new SelfCheckResult($"fake case on {path}", 0.1, 0, 0)];
        TorchBackend.Reset();
        var status = TorchBackend.Status;
        Assert.IsFalse(status.IsReliable);
        Assert.AreEqual(status.Topology.IsHidden ? 1 : 2, status.Rejected.Count, "Every candidate but the last is listed as rejected.");
        StringAssert.Contains(status.Describe(), "WRONG");
        using var model = Backbones.Create("cs3darknet_s");
        model.eval();
        using var x = torch.randn(1, 3, 32, 32);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => model.forward(x));
        StringAssert.Contains(e.Message, "wrong");
        StringAssert.Contains(e.Message, "fake case");
    }

    [TestMethod]
    public void TheVerdictIsPerThreadCount()
    {
        int threads = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            Assert.AreEqual(1, TorchBackend.Status.Threads);
            Assert.IsTrue(TorchBackend.Status.IsReliable, TorchBackend.Status.Describe());
        }
        finally
        {
            torch.set_num_threads(threads);
        }
        Assert.AreEqual(threads, TorchBackend.Status.Threads);
    }

    [TestMethod]
    public void TheSelfCheckLeavesTheGlobalRandomStateAlone()
    {
        torch.manual_seed(5);
        using var expected = torch.rand(4);
        torch.manual_seed(5);
        TorchBackend.Reset();
        _ = TorchBackend.Status;
        using var actual = torch.rand(4);
        Assert.IsTrue(actual.allclose(expected, 0, 0), "The same seed gives the same numbers with a check in between.");
    }

    [TestMethod]
    public void PointwiseConvolutionOnAChannelSliceMatchesFloat64()
    {
        // The fast path convolves channel slices of a channels-last map (CSP split halves): rows with a stride.
        using var scope = torch.NewDisposeScope();
        var wide = MemoryLayout.ToChannelsLast(torch.randn(3, 48, 7, 5));
        var half = wide.narrow(1, 24, 24);
        var w = torch.randn(40, 24, 1, 1);
        var b = torch.randn(40);
        using var use = TorchBackend.UsePath(ConvolutionPath.ChannelsLastGemm);
        var y = Convolutions.Forward(half, w, b, [1, 1], [0, 0], [1, 1], 1);
        var r = nn.functional.conv2d(half.to(ScalarType.Float64), w.to(ScalarType.Float64), b.to(ScalarType.Float64));
        Assert.IsLessThan(1e-6, Compare.TensorRelativeL2(y, r));
        var strided = Convolutions.Forward(half, w, b, [2, 2], [0, 0], [1, 1], 1);
        var rs = nn.functional.conv2d(half.to(ScalarType.Float64), w.to(ScalarType.Float64), b.to(ScalarType.Float64), [2, 2]);
        CollectionAssert.AreEqual(rs.shape, strided.shape);
        Assert.IsLessThan(1e-6, Compare.TensorRelativeL2(strided, rs));
    }
}
