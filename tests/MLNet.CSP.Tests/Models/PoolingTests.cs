using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Models;
using MLNet.CSP.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>Pooling against loops written out here: the 3x3 stride-2 stem max pool (padding 1) and global max/average pooling.</summary>
[TestClass]
public sealed class PoolingTests
{
    [TestMethod]
    [DataRow(7, 9)]
    [DataRow(8, 8)]
    public void StemMaxPoolMatchesTheDefinition(int height, int width)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var x = torch.randn(2, 3, height, width);
        var y = Pooling.StemMaxPool(x);
        int outH = (height + 2 - 3) / 2 + 1, outW = (width + 2 - 3) / 2 + 1;
        CollectionAssert.AreEqual(new long[] { 2, 3, outH, outW }, y.shape);
        var input = x.data<float>().ToArray();
        var output = y.contiguous().data<float>().ToArray();
        for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
        for (int i = 0; i < outH; i++)
        for (int j = 0; j < outW; j++)
        {
            float best = float.NegativeInfinity; // padding never wins
            for (int di = -1; di <= 1; di++)
            for (int dj = -1; dj <= 1; dj++)
            {
                int r = 2 * i + di, s = 2 * j + dj;
                if (r >= 0 && r < height && s >= 0 && s < width) best = Math.Max(best, input[((n * 3 + c) * height + r) * width + s]);
            }
            Assert.AreEqual(best, output[((n * 3 + c) * outH + i) * outW + j], $"({n},{c},{i},{j})");
        }
    }

    [TestMethod]
    public void GlobalPoolingOfTheFeatureMap()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Backbones.Create("cs3darknet_s", numClasses: 0);
        var features = torch.arange(2 * model.NumFeatures * 6, dtype: ScalarType.Float32).reshape(2, model.NumFeatures, 2, 3);
        var max = model.ForwardPooled(features, GlobalPooling.Max);
        var average = model.ForwardPooled(features, GlobalPooling.Average);
        Assert.AreEqual(5f, max[0, 0].item<float>(), "Max over the six positions of the first channel.");
        Assert.AreEqual(2.5f, average[0, 0].item<float>());
        Assert.AreEqual((float)(2 * model.NumFeatures * 6 - 1), max[1, model.NumFeatures - 1].item<float>());
    }
}
