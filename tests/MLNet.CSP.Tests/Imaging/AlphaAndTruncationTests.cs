using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Imaging;
using MLNet.CSP.Pipelines.Featurizer;
using SkiaSharp;
using TorchSharp;

namespace MLNet.CSP.Tests.Imaging;

/// <summary>Transparent pixels keep their colour (as PIL's convert('RGB')), and half an image is an error, not an image.</summary>
[TestClass]
public sealed class AlphaAndTruncationTests : TempDirectoryTest
{
    /// <summary>A 32x24 noise image with the given alpha everywhere, encoded (colours stored unpremultiplied, as in PNG).</summary>
    private static byte[] Encode(byte alpha, SKEncodedImageFormat format, int seed = 1)
    {
        var random = new Random(seed);
        var info = new SKImageInfo(32, 24, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var pixels = new byte[info.BytesSize];
        random.NextBytes(pixels);
        for (int p = 3; p < pixels.Length; p += 4) pixels[p] = alpha;
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        return data.ToArray();
    }

    private static float[] Rgb(MLImage image)
    {
        using var t = ImageTensors.ToRgbTensor(image);
        return t.contiguous().data<float>().ToArray();
    }

    [TestMethod]
    [DataRow((byte)128, 2.5)]
    [DataRow((byte)64, 4.5)]
    public void HalfTransparentPixelsKeepTheirColourFromBytesAndFromFiles(byte alpha, double tolerance)
    {
        // Premultiplication rounds each channel to 1/alpha steps: the tolerance is that step, in 1/255 units.
        using var opaque = ImageTensors.Decode(Encode(255, SKEncodedImageFormat.Png));
        using var translucent = ImageTensors.Decode(Encode(alpha, SKEncodedImageFormat.Png));
        var expected = Rgb(opaque);
        var actual = Rgb(translucent);
        double worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) * 255;
        Assert.IsLessThanOrEqualTo(tolerance, worst, $"Largest colour difference {worst:F2}/255 at alpha {alpha}.");

        string file = Path.Combine(Folder, "translucent.png");
        File.WriteAllBytes(file, Encode(alpha, SKEncodedImageFormat.Png));
        using var loaded = MLImage.CreateFromFile(file); // what LoadImages gives
        double worstFile = expected.Zip(Rgb(loaded)).Max(p => Math.Abs(p.First - p.Second)) * 255;
        Assert.IsLessThanOrEqualTo(tolerance, worstFile, $"From a file: {worstFile:F2}/255.");
    }

    [TestMethod]
    [DataRow(SKEncodedImageFormat.Png)]
    [DataRow(SKEncodedImageFormat.Jpeg)]
    public void TruncatedBytesAreAnError(SKEncodedImageFormat format)
    {
        var bytes = Encode(255, format);
        using (var whole = ImageTensors.Decode(bytes)) Assert.AreEqual(32, whole.Width);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageTensors.Decode(bytes.AsSpan(0, bytes.Length / 2)));
        StringAssert.Contains(e.Message, "truncated");
    }

    private sealed class BytesRow
    {
        public byte[] Image { get; set; } = [];
    }

    [TestMethod]
    public void TheFeaturizerNamesTheRowOfATruncatedImage()
    {
        var ml = new MLContext(seed: 1);
        var png = Encode(255, SKEncodedImageFormat.Png);
        var data = ml.Data.LoadFromEnumerable(new[] { new BytesRow { Image = png }, new BytesRow { Image = png[..(png.Length / 2)] } });
        var model = ml.Transforms.CspFeaturize(new CspFeaturizerOptions
        {
            InputColumnName = "Image", OutputColumnName = "Features", Architecture = "cs3darknet_s", ImageSize = 32, BatchSize = 1,
        }).Fit(data);
        var e = Assert.Throws<Exception>(() => model.Transform(data).GetColumn<float[]>("Features").ToList());
        var all = new List<Exception>();
        for (Exception? x = e; x is not null; x = x.InnerException) all.Add(x);
        Assert.IsTrue(all.Any(x => x.Message.Contains("column 'Image' at row 1") && x.Message.Contains("truncated")), string.Join(" | ", all.Select(x => x.Message)));
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    [TestMethod]
    [DataRow(SKEncodedImageFormat.Png, "png")]
    [DataRow(SKEncodedImageFormat.Jpeg, "jpg")]
    public void LoadImagesFilesCutShortAreAnErrorThatNamesTheFile(SKEncodedImageFormat format, string extension)
    {
        var bytes = Encode(255, format);
        string whole = Path.Combine(Folder, "whole." + extension), cut = Path.Combine(Folder, "cut." + extension), trailing = Path.Combine(Folder, "trailing." + extension);
        File.WriteAllBytes(whole, bytes);
        File.WriteAllBytes(cut, bytes[..(bytes.Length * 2 / 3)]);
        File.WriteAllBytes(trailing, [.. bytes, .. new byte[] { 0, 0, 13, 10 }]); // bytes after a whole image (some cameras add them)
        var ml = new MLContext(seed: 1);
        IDataView Rows(params string[] paths) => ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { ImagePath = p }));
        var load = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath");
        var featurize = ml.Transforms.CspFeaturize(new CspFeaturizerOptions
        {
            InputColumnName = "Image", OutputColumnName = "Features", Architecture = "cs3darknet_s", ImageSize = 32, BatchSize = 2,
        });
        var good = Rows(whole, trailing);
        var model = load.Append(featurize).Fit(good);
        var features = model.Transform(good).GetColumn<float[]>("Features").ToList();
        Assert.HasCount(2, features, "A whole file, with or without trailing bytes, is accepted.");
        CollectionAssert.AreEqual(features[0], features[1]);

        var e = Assert.Throws<Exception>(() => model.Transform(Rows(whole, cut)).GetColumn<float[]>("Features").ToList());
        var all = new List<Exception>();
        for (Exception? x = e; x is not null; x = x.InnerException) all.Add(x);
        Assert.IsTrue(all.Any(x => x.Message.Contains("at row 1") && x.Message.Contains($"file '{cut}'") && x.Message.Contains("truncated")),
            string.Join(" | ", all.Select(x => x.Message)));
    }
}
