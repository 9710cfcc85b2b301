using System.IO.Compression;
using Microsoft.ML;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines;
using MLNet.CSP.Pipelines.Featurizer;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>Damaged model files: the weights checksum catches changed bytes, and <see cref="CspModel.Load"/> names file and cause.</summary>
[TestClass]
public sealed class ModelFileErrorTests : TempDirectoryTest
{
    private string SaveFeaturizer()
    {
        var ml = new MLContext(seed: 1);
        var rows = FashionMnist.Load("test").Take(2).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var images = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
        var model = ml.Transforms.CspFeaturize(new CspFeaturizerOptions
        {
            InputColumnName = "Image", OutputColumnName = "Features", Architecture = "cs3darknet_s", ImageSize = 32, CropFraction = 1.0,
        }).Fit(images);
        string path = Path.Combine(Folder, "model.zip");
        ml.Model.Save(model, images.Schema, path);
        return path;
    }

    private static void RewriteWeights(string path, Func<byte[], byte[]> change)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith("Weights.safetensors", StringComparison.Ordinal));
        byte[] content;
        using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); content = m.ToArray(); }
        string name = entry.FullName;
        entry.Delete();
        using var w = zip.CreateEntry(name).Open();
        var changed = change(content);
        w.Write(changed, 0, changed.Length);
    }

    [TestMethod]
    public void FlippedBitsInTheWeightsAreCaughtByTheChecksum()
    {
        string path = SaveFeaturizer();
        // 200 exponent bits flipped in the middle of the tensor data (the loader would otherwise return NaN features).
        RewriteWeights(path, bytes =>
        {
            var copy = (byte[])bytes.Clone();
            for (int i = 0; i < 200; i++) copy[copy.Length / 2 + 4 * i + 3] ^= 0x40;
            return copy;
        });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CspModel.Load(new MLContext(), path, out _));
        StringAssert.StartsWith(e.Message, $"Could not load the model file '{path}'");
        StringAssert.Contains(e.Message, "Weights.safetensors is damaged");
        StringAssert.Contains(e.Message, "SHA-256");
        Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _), "ML.NET's own Load fails too (wrapped by its reflection).");
    }

    [TestMethod]
    public void TruncatedWeightsSayTruncated()
    {
        string path = SaveFeaturizer();
        RewriteWeights(path, bytes => bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CspModel.Load(new MLContext(), path, out _));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void BrokenZipsAndWrongFilesNameThePath()
    {
        string path = SaveFeaturizer();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        var truncated = Assert.ThrowsExactly<InvalidDataException>(() => CspModel.Load(new MLContext(), path, out _));
        StringAssert.Contains(truncated.Message, path);

        string png = Path.Combine(Folder, "not-a-model.zip");
        File.Copy(FashionMnist.Load("test")[0].ImagePath, png);
        var wrong = Assert.ThrowsExactly<InvalidDataException>(() => CspModel.Load(new MLContext(), png, out _));
        StringAssert.Contains(wrong.Message, png);

        Assert.ThrowsExactly<FileNotFoundException>(() => CspModel.Load(new MLContext(), Path.Combine(Folder, "missing.zip"), out _));
    }

    [TestMethod]
    public void AnIntactModelLoadsThroughTheHelper()
    {
        string path = SaveFeaturizer();
        var model = CspModel.Load(new MLContext(), path, out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("ImagePath"));
        Assert.IsNotNull(model);
    }
}
