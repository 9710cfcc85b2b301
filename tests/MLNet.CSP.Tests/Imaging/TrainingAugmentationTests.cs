using MLNet.CSP.Imaging;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Imaging;

[TestClass]
public sealed class TrainingAugmentationTests
{
    [TestMethod]
    public void RandomShiftTranslatesAndRepeatsTheEdges()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.arange(3 * 16 * 24, dtype: ScalarType.Float32).reshape(3, 16, 24);
        var random = new Random(3);
        var offsets = new HashSet<(long, long)>();
        for (int trial = 0; trial < 200; trial++)
        {
            var shifted = TrainingAugmentation.RandomShift(image, random);
            CollectionAssert.AreEqual(image.shape, shifted.shape);
            // Find the shift: pixel (8, 12) of the output is pixel (8 - dy, 12 - dx) of the input (the middle is never padding).
            float v = shifted[0, 8, 12].item<float>();
            long y = (long)v / 24, x = (long)v % 24, dy = 8 - y, dx = 12 - x;
            Assert.IsTrue(Math.Abs(dy) <= 2 && Math.Abs(dx) <= 2, $"Shift ({dy}, {dx}) is within round(16 / 8) = 2 pixels.");
            offsets.Add((dy, dx));
            // Every output pixel is the input pixel at the clamped shifted position (edge replication).
            var rows = torch.arange(16).sub(dy).clamp(0, 15);
            var cols = torch.arange(24).sub(dx).clamp(0, 23);
            var expected = image.index_select(1, rows).index_select(2, cols);
            Assert.IsTrue(shifted.equal(expected).all().item<bool>(), $"Shift ({dy}, {dx}) with repeated edges.");
        }
        Assert.AreEqual(25, offsets.Count, "All 5 x 5 offsets occur.");
    }

    [TestMethod]
    public void RandomShiftIsRepeatableFromTheSeed()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.rand(3, 32, 32);
        var a = TrainingAugmentation.RandomShift(image, new Random(7));
        var b = TrainingAugmentation.RandomShift(image, new Random(7));
        Assert.IsTrue(a.equal(b).all().item<bool>());
    }
}
