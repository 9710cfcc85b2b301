using MLNet.CSP.Pipelines.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The weight average on its own: normalisation statistics averaged, batch counts copied, saved and loaded.</summary>
[TestClass]
public sealed class WeightAverageTests : TempDirectoryTest
{
    [TestMethod]
    public void AveragesFloatEntriesCopiesCountsAndRoundTrips()
    {
        torch.manual_seed(2);
        using var model = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("bn", nn.BatchNorm2d(4)));
        var mean = model.state_dict()["bn.running_mean"];
        var count = model.state_dict()["bn.num_batches_tracked"];
        using var average = new WeightAverage(model, 0.99);
        model.train();
        using (torch.no_grad()) model.call(torch.randn(2, 3, 8, 8) + 5); // moves the running mean, counts one batch
        average.Update();
        double d = 0.99 * (1 - Math.Exp(-1 / WeightAverage.RampUpdates));
        var snapshot = average.Snapshot();
        var expected = (1 - d) * mean; // the running mean started at zero
        Assert.IsLessThan(1e-6, (snapshot["bn.running_mean"] - expected).abs().max().item<float>(), "Running statistics are averaged.");
        Assert.AreEqual(count.item<long>(), snapshot["bn.num_batches_tracked"].item<long>(), "The batch count is copied.");

        string path = Path.Combine(Folder, "ema.safetensors");
        average.Save(path);
        using var again = new WeightAverage(model, 0.99);
        again.Load(path);
        Assert.AreEqual(1L, again.Updates);
        foreach (var (key, value) in again.Snapshot()) Assert.IsTrue(value.eq(snapshot[key]).all().item<bool>(), key);

        using var other = nn.Sequential(("conv", nn.Conv2d(3, 5, 3)));
        using var mismatched = new WeightAverage(other, 0.99);
        Assert.ThrowsExactly<InvalidDataException>(() => mismatched.Load(path));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new WeightAverage(model, 1.0));
    }
}
