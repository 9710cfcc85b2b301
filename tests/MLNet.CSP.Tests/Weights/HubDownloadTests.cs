using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Models;
using MLNet.CSP.Weights;
using MLNet.CSP.Weights.Hub;
using TorchSharp;

namespace MLNet.CSP.Tests.Weights;

/// <summary>
/// Pretrained weights by name against a local stand-in of the Hub (never the internet): first download into
/// huggingface_hub's cache layout, cache hits, resume after a dropped connection, hash mismatch, offline mode, concurrent
/// callers, unknown names and tags, tokens; and the network built from the downloaded weights.
/// </summary>
[TestClass]
public sealed class HubDownloadTests : TempDirectoryTest
{
    private const string Repo = "timm/test-model.tag_in1k";
    private static readonly byte[] Payload = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7 % 251)).ToArray();

    private HubOptions Options(LocalHub hub) => new() { Endpoint = hub.Endpoint, CacheDirectory = Path.Combine(Folder, "hub"), Offline = false, Token = null };

    private static PublishedWeights Weights => new(Repo);

    [TestMethod]
    public void FirstDownloadFillsTheSharedCacheLayoutAndTheSecondIsACacheHit()
    {
        using var hub = new LocalHub();
        hub.Add(Repo, "model.safetensors", Payload);
        var progress = new List<HubDownloadProgress>();
        var options = Options(hub) with { Progress = new SynchronousProgress<HubDownloadProgress>(progress.Add) };
        string path = HubDownloads.Download(Weights, options);

        string repoFolder = Path.Combine(Folder, "hub", "models--timm--test-model.tag_in1k");
        string sha = LocalHub.Sha256(Payload);
        Assert.AreEqual(Path.Combine(repoFolder, "snapshots", LocalHub.Commit, "model.safetensors"), path);
        CollectionAssert.AreEqual(Payload, File.ReadAllBytes(path));
        Assert.IsTrue(File.Exists(Path.Combine(repoFolder, "blobs", sha)), "The blob is named by its SHA-256 (the Hub's etag).");
        Assert.AreEqual(Path.Combine("..", "..", "blobs", sha), new FileInfo(path).LinkTarget, "The snapshot is a relative link to the blob.");
        Assert.AreEqual(LocalHub.Commit, File.ReadAllText(Path.Combine(repoFolder, "refs", "main")));
        Assert.IsFalse(Directory.GetFiles(Path.Combine(repoFolder, "blobs")).Any(f => f.EndsWith(".incomplete", StringComparison.Ordinal)));
        Assert.AreEqual(Payload.Length, progress[^1].Bytes);
        Assert.AreEqual(Payload.Length, progress[^1].Total);

        Assert.AreEqual(path, HubDownloads.Download(Weights, options));
        Assert.AreEqual(1, hub.Downloads, "The second call finds the blob and downloads nothing.");
    }

    [TestMethod]
    public void ADroppedConnectionLeavesNoWeightsAndTheNextCallResumes()
    {
        using var hub = new LocalHub();
        hub.Add(Repo, "model.safetensors", Payload);
        hub.DropNext = 1;
        var e = Assert.ThrowsExactly<HubDownloadException>(() => HubDownloads.Download(Weights, Options(hub)));
        StringAssert.Contains(e.Message, "next call resumes");
        string blobs = Path.Combine(Folder, "hub", "models--timm--test-model.tag_in1k", "blobs");
        Assert.IsFalse(File.Exists(Path.Combine(blobs, LocalHub.Sha256(Payload))), "No blob from a broken download.");
        long part = new FileInfo(Path.Combine(blobs, LocalHub.Sha256(Payload) + ".incomplete")).Length;
        Assert.IsTrue(part > 0 && part < Payload.Length);

        string path = HubDownloads.Download(Weights, Options(hub));
        CollectionAssert.AreEqual(Payload, File.ReadAllBytes(path));
        Assert.AreEqual($"bytes={part}-", hub.Ranges[^1], "The second download asks only for the rest.");
    }

    [TestMethod]
    public void BytesThatDoNotMatchTheHubsHashAreDownloadedAgainAndNeverKept()
    {
        using var hub = new LocalHub();
        hub.Add(Repo, "model.safetensors", Payload);
        hub.CorruptNext = 1;
        CollectionAssert.AreEqual(Payload, File.ReadAllBytes(HubDownloads.Download(Weights, Options(hub))), "One bad transfer is retried.");
        Assert.AreEqual(2, hub.Downloads);

        using var always = new LocalHub();
        always.Add(Repo, "model.safetensors", Payload);
        always.CorruptNext = 2;
        var options = Options(always) with { CacheDirectory = Path.Combine(Folder, "hub2") };
        var e = Assert.ThrowsExactly<HubDownloadException>(() => HubDownloads.Download(Weights, options));
        StringAssert.Contains(e.Message, "SHA-256");
        Assert.IsFalse(Directory.EnumerateFiles(Path.Combine(Folder, "hub2"), "*", SearchOption.AllDirectories).Any(f => f.Contains("blobs")),
            "Nothing of the wrong bytes stays in the cache.");
    }

    [TestMethod]
    public void OfflineModeUsesTheCacheOnlyAndSaysWhereToPutTheFile()
    {
        using var hub = new LocalHub();
        hub.Add(Repo, "model.safetensors", Payload);
        var offline = Options(hub) with { Offline = true };
        var e = Assert.ThrowsExactly<HubDownloadException>(() => HubDownloads.Download(Weights, offline));
        StringAssert.Contains(e.Message, Path.Combine(Folder, "hub", "models--timm--test-model.tag_in1k"));
        StringAssert.Contains(e.Message, $"{hub.Endpoint}/{Repo}/resolve/main/model.safetensors");
        Assert.AreEqual(0, hub.Downloads);

        string online = HubDownloads.Download(Weights, Options(hub));
        Assert.AreEqual(online, HubDownloads.Download(Weights, offline));
        Assert.AreEqual(1, hub.Downloads);

        hub.Dispose(); // the Hub unreachable: the cached revision still serves, as huggingface_hub does
        Assert.AreEqual(online, HubDownloads.Download(Weights, Options(hub)));
    }

    [TestMethod]
    public void ConcurrentCallersDownloadOnce()
    {
        using var hub = new LocalHub();
        hub.Add(Repo, "model.safetensors", Payload);
        var paths = Enumerable.Range(0, 4).Select(_ => Task.Run(() => HubDownloads.DownloadAsync(Weights, Options(hub)))).ToArray();
        Task.WaitAll(paths);
        Assert.AreEqual(1, paths.Select(p => p.Result).Distinct().Count());
        Assert.AreEqual(1, hub.Downloads, "The lock file lets one caller download; the others find the blob.");
    }

    [TestMethod]
    public void UnknownNamesTagsAndMissingTokensAreClearErrors()
    {
        using var hub = new LocalHub();
        hub.Add(Repo, "model.safetensors", Payload);
        var e = Assert.ThrowsExactly<HubDownloadException>(() => HubDownloads.Download(new PublishedWeights("timm/test-model.no_such_tag"), Options(hub)));
        StringAssert.Contains(e.Message, "timm/test-model.no_such_tag");
        Assert.AreEqual(404, e.StatusCode);
        e = Assert.ThrowsExactly<HubDownloadException>(() => HubDownloads.Download(new PublishedWeights(Repo, "pytorch_model.bin"), Options(hub)));
        StringAssert.Contains(e.Message, "no file 'pytorch_model.bin'");
        e = Assert.ThrowsExactly<HubDownloadException>(() => HubDownloads.Download(Weights, Options(hub) with { Revision = "v9" }));
        StringAssert.Contains(e.Message, "no revision 'v9'");

        hub.RequiredToken = "secret";
        e = Assert.ThrowsExactly<HubDownloadException>(() => HubDownloads.Download(Weights, Options(hub)));
        StringAssert.Contains(e.Message, "HF_TOKEN");
        Assert.AreEqual(401, e.StatusCode);
        Assert.IsTrue(File.Exists(HubDownloads.Download(Weights, Options(hub) with { Token = "secret" })));
    }

    [TestMethod]
    public void PretrainedByNameLoadsTheDownloadedWeights()
    {
        string source;
        using var hub = ServeCs3DarknetM(seed: 11, out source);
        var options = Options(hub);

        using var reference = Backbones.Create("cs3darknet_m");
        Checkpoint.Load(reference, source);
        using var pretrained = Backbones.Create("cs3darknet_m", pretrained: true, hub: options);
        foreach (var ((key, a), (_, b)) in reference.StateDict().Zip(pretrained.StateDict()))
            Assert.IsTrue(a.equal(b).all().item<bool>(), $"{key} comes from the downloaded checkpoint.");
        Assert.AreEqual("timm/cs3darknet_m.c2ns_in1k", pretrained.Pretrained.Weights!.Repository);

        using var tenClasses = Backbones.Create("cs3darknet_m.c2ns_in1k", numClasses: 10, pretrained: true, hub: options);
        Assert.AreEqual(10, tenClasses.NumClasses, "Another class count keeps the trunk and gets a fresh classifier.");
        Assert.AreEqual(1, hub.Downloads);

        var none = Assert.ThrowsExactly<InvalidOperationException>(() => Backbones.Create("cs3darknet_s", pretrained: true, hub: options));
        StringAssert.Contains(none.Message, "cspresnext50 (timm/cspresnext50.ra_in1k)");
        Assert.AreEqual(176, PretrainedTags.Preprocessing("resnet50.tv2_in1k").InputSize, "A tag brings timm's preprocessing for it.");
        Assert.AreEqual("timm/resnet50.tv2_in1k", PretrainedTags.Weights("resnet50.tv2_in1k")!.Repository);
    }

    [TestMethod]
    public void FeaturizerAndTrainerStartFromPretrainedWeightsLikeFromTheFile()
    {
        string source;
        using var hub = ServeCs3DarknetM(seed: 12, out source);
        var ml = new MLContext(seed: 1);
        var rows = Pipelines.FashionMnist.Load("test").Take(4).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var images = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
        float[][] Features(MLNet.CSP.Pipelines.Featurizer.CspFeaturizerOptions options) =>
            ml.Transforms.CspFeaturize(options).Fit(images).Transform(images).GetColumn<float[]>("Features").ToArray();
        MLNet.CSP.Pipelines.Featurizer.CspFeaturizerOptions Options(bool pretrained, string? file) => new()
        {
            InputColumnName = "Image", OutputColumnName = "Features", Architecture = "cs3darknet_m", ImageSize = 32,
            Pretrained = pretrained, WeightsPath = file, Hub = this.Options(hub),
        };
        var fromHub = Features(Options(true, null));
        var fromFile = Features(Options(false, source));
        for (int i = 0; i < fromHub.Length; i++) CollectionAssert.AreEqual(fromFile[i], fromHub[i], $"row {i}");

        // The trainer starts from the same weights: with the backbone frozen (eval mode, no updates) the trained classifier's
        // backbone is the file's, tensor for tensor.
        var labelled = ml.Data.LoadFromEnumerable(Pipelines.FashionMnist.Load("test").GroupBy(r => r.Label).Take(2).SelectMany(g => g.Take(4)).ToList());
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", null, "ImagePath")).Fit(labelled).Transform(labelled);
        var fromHubTrainer = Pipelines.TrainerTests.Small();
        fromHubTrainer.Architecture = "cs3darknet_m";
        fromHubTrainer.Pretrained = true;
        fromHubTrainer.Hub = this.Options(hub);
        fromHubTrainer.FreezeBackbone = true;
        fromHubTrainer.BatchSize = 4;
        using var classifier = ml.MulticlassClassification.Trainers.CspImageClassification(fromHubTrainer).Fit(keyed);
        var published = MLNet.CSP.Weights.Checkpoint.Read(source);
        int compared = 0;
        foreach (var (key, value) in classifier.Model.StateDict())
        {
            if (key.StartsWith(classifier.Model.ClassifierPrefix, StringComparison.Ordinal)) continue;
            if (!published.ContainsKey(key) && key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            Assert.IsTrue(published.ContainsKey(key), key);
            Assert.IsTrue(value.cpu().equal(published[key]).all().item<bool>(), $"{key} is the published weight.");
            compared++;
        }
        Assert.IsGreaterThan(100, compared);
        foreach (var t in published.Values) t.Dispose();

        var trainer = Pipelines.TrainerTests.Small();
        trainer.Architecture = "cs3darknet_s";
        trainer.Pretrained = true;
        var refused = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.CspImageClassification(trainer));
        StringAssert.Contains(refused.Message, "'cs3darknet_s' has no published weights");
    }

    [TestMethod]
    public void TorchvisionsLegacyDenseNetKeysLoad()
    {
        torch.manual_seed(5);
        using var original = Backbones.Create("densenet121");
        var legacy = original.StateDict().ToDictionary(
            e => System.Text.RegularExpressions.Regex.Replace(e.Key, @"(denselayer\d+)\.(norm|conv)([12])\.", "$1.$2.$3."), e => e.Value);
        Assert.IsTrue(legacy.Keys.Any(k => k.Contains("denselayer1.norm.1.weight")), "The old torchvision names.");
        using var loaded = Backbones.Create("densenet121");
        Checkpoint.Load(loaded, legacy, "legacy");
        foreach (var ((key, a), (_, b)) in original.StateDict().Zip(loaded.StateDict()))
            Assert.IsTrue(a.equal(b).all().item<bool>(), key);
    }

    /// <summary>
    /// A Hub serving a stand-in for the published cs3darknet_m checkpoint (a seeded network saved with Checkpoint.Save) at its
    /// repository; <paramref name="source"/> is the same file on disk.
    /// </summary>
    private LocalHub ServeCs3DarknetM(int seed, out string source)
    {
        source = Path.Combine(Folder, "source.safetensors");
        torch.manual_seed(seed);
        using (var published = Backbones.Create("cs3darknet_m")) Checkpoint.Save(published, source);
        var hub = new LocalHub();
        hub.Add("timm/cs3darknet_m.c2ns_in1k", "model.safetensors", File.ReadAllBytes(source));
        return hub;
    }

    /// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
