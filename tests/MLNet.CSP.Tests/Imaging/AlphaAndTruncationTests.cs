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

    /// <summary>
    /// PIL's convert("RGB") of a PNG with opaque, half-transparent and fully transparent pixels (tools/make-alpha-reference.py):
    /// the bytes path and LoadImages give exactly its colours, fully transparent pixels included.
    /// </summary>
    [TestMethod]
    public void AHalfTransparentPngGivesPilsColoursThroughLoadImagesAndThroughBytes()
    {
        string png = Path.Combine(AppContext.BaseDirectory, "TestData", "alpha", "half-transparent.png");
        var expected = File.ReadAllBytes(Path.ChangeExtension(png, ".rgb"));
        int width = 40, height = 30;
        float[] Pil(int c, int y, int x) => [expected[(y * width + x) * 3 + c]];

        void Check(float[] rgb, string what)
        {
            Assert.HasCount(3 * width * height, rgb, what);
            int wrong = 0;
            string? first = null;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                    {
                        float actual = MathF.Round(rgb[(c * height + y) * width + x] * 255f);
                        if (actual == Pil(c, y, x)[0]) continue;
                        wrong++;
                        first ??= $"channel {c} at ({x}, {y}): {actual} instead of {Pil(c, y, x)[0]}";
                    }
            Assert.AreEqual(0, wrong, $"{what}: {wrong} values differ from PIL's, first {first}");
        }

        using (var fromBytes = ImageTensors.Decode(File.ReadAllBytes(png))) Check(Rgb(fromBytes), "encoded bytes");

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = png } });
        var loaded = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
        Check(Rgb(First(loaded)), "LoadImages");

        // An image changed after LoadImages keeps the file's tag but not its pixels: the file is not used for it.
        var resized = ml.Transforms.ResizeImages("Image", 20, 15, "Image").Fit(loaded).Transform(loaded);
        CollectionAssert.AreEqual(new long[] { 3, 15, 20 }, ImageTensors.ToRgbTensor(First(resized)).shape);
    }

    /// <summary>The first row's image, copied out of the cursor (which disposes the images it hands out).</summary>
    private static MLImage First(IDataView view)
    {
        using var cursor = view.GetRowCursor([view.Schema["Image"]]);
        var getter = cursor.GetGetter<MLImage>(view.Schema["Image"]);
        MLImage image = null!;
        Assert.IsTrue(cursor.MoveNext());
        getter(ref image);
        var copy = MLImage.CreateFromPixels(image.Width, image.Height, image.PixelFormat, image.Pixels);
        copy.Tag = image.Tag;
        return copy;
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
