using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Imaging;

/// <summary>
/// The evaluation transform against torchvision's (PIL resize of the shorter side, center crop, ToTensor, Normalize) on images
/// decoded from files, as timm and torchvision users preprocess. References from tools/make-imaging-references.py (Debian 12's
/// python3-torchvision 0.14 + PIL 9.4). PIL resizes in two 8-bit passes and ToTensor reads 8-bit values, so differences up to
/// about 1/255 per value are rounding (measured: at most 1.00/255, mean 0.29-0.31/255, the JPEG case included); a wrong
/// interpolation or a resize one pixel off is several times that (the last test checks both).
/// </summary>
[TestClass]
public sealed class EvalTransformParityTests
{
    /// <summary>Largest per-value difference allowed, in [0, 1] pixel units (before normalisation).</summary>
    private const double MaxPixelError = 1.5 / 255;

    /// <summary>Mean absolute difference allowed, in pixel units.</summary>
    private const double MeanPixelError = 0.45 / 255;

    public TestContext TestContext { get; set; } = null!;

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "imaging");

    public static IEnumerable<object[]> Cases =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "cases.json"))).RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => new object[] { c.GetProperty("name").GetString()! });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void MatchesTorchvision(string name)
    {
        var (preprocessing, image, expected) = Load(name);
        using (image)
        {
            var (max, mean) = Errors(preprocessing, image, expected);
            TestContext.WriteLine($"{name}: max {max * 255:F2}/255, mean {mean * 255:F3}/255");
            Assert.IsLessThan(MaxPixelError, max, $"{name}: largest difference {max * 255:F2}/255.");
            Assert.IsLessThan(MeanPixelError, mean, $"{name}: mean difference {mean * 255:F3}/255.");
        }
    }

    [TestMethod]
    public void TheComparisonNoticesAWrongInterpolationOrCrop()
    {
        var (preprocessing, image, expected) = Load("landscape-bicubic");
        using (image)
        {
            var bilinear = new ImagePreprocessing(preprocessing.ImageSize, preprocessing.ResizeSize, Interpolation.Bilinear, preprocessing.Mean, preprocessing.Std);
            var (max, mean) = Errors(bilinear, image, expected);
            TestContext.WriteLine($"bilinear instead of bicubic: max {max * 255:F2}/255, mean {mean * 255:F3}/255");
            Assert.IsTrue(max > MaxPixelError || mean > MeanPixelError, $"Bilinear instead of bicubic: max {max * 255:F2}/255, mean {mean * 255:F3}/255.");
            var offByOne = new ImagePreprocessing(preprocessing.ImageSize, preprocessing.ResizeSize + 1, preprocessing.Interpolation, preprocessing.Mean, preprocessing.Std);
            (max, mean) = Errors(offByOne, image, expected);
            TestContext.WriteLine($"resize one pixel larger: max {max * 255:F2}/255, mean {mean * 255:F3}/255");
            Assert.IsTrue(max > MaxPixelError && mean > MeanPixelError, $"Resize one pixel larger: max {max * 255:F2}/255, mean {mean * 255:F3}/255.");
        }
    }

    private static (ImagePreprocessing Preprocessing, MLImage Image, float[] Expected) Load(string name)
    {
        var c = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "cases.json"))).RootElement.GetProperty("cases").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == name);
        var interpolation = c.GetProperty("interpolation").GetString() == "bicubic" ? Interpolation.Bicubic : Interpolation.Bilinear;
        float[] Floats(string p) => c.GetProperty(p).EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var preprocessing = new ImagePreprocessing(c.GetProperty("size").GetInt32(), c.GetProperty("resize").GetInt32(), interpolation, Floats("mean"), Floats("std"));
        var image = MLImage.CreateFromFile(Path.Combine(Folder, c.GetProperty("file").GetString()!));
        Assert.AreEqual(c.GetProperty("width").GetInt32(), image.Width);
        var bytes = File.ReadAllBytes(Path.Combine(Folder, name + ".bin"));
        var expected = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, expected, 0, bytes.Length);
        return (preprocessing, image, expected);
    }

    /// <summary>Largest and mean absolute difference in pixel units (the normalisation undone with each channel's std).</summary>
    private static (double Max, double Mean) Errors(ImagePreprocessing preprocessing, MLImage image, float[] expected)
    {
        using var scope = torch.NewDisposeScope();
        var ours = ImageTensors.Preprocess(image, preprocessing).contiguous();
        Assert.AreEqual(expected.Length, (int)ours.numel(), "Shape [3, S, S].");
        var std = torch.tensor(preprocessing.Std.ToArray()).view(3, 1, 1);
        var difference = (ours - torch.tensor(expected).view(ours.shape)).abs().mul(std);
        return (difference.max().item<float>(), difference.mean().item<float>());
    }
}
