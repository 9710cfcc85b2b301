using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// <c>trainer-speed DIR EPOCHS [whole|split]...</c>: CspImageClassification's epoch throughput on one folder, fitted on the whole folder and on
/// an 80% split (as the AutoML search fits its trials), with the trainer's log. Environment: <c>TRAINER_SPEED_SIZE</c> (32),
/// <c>TRAINER_SPEED_BATCH</c> (the trainer's default), <c>TRAINER_SPEED_MODEL</c> (the trainer's default),
/// <c>TRAINER_SPEED_PATH</c> (a forced <see cref="MLNet.CSP.Backend.ConvolutionPath"/>).
/// </summary>
internal static class TrainerSpeed
{
    public static void Run(string folder, int epochs, string[] variants)
    {
        foreach (var variant in variants.Length > 0 ? variants : ["whole", "split", "whole"])
        {
            var ml = new MLContext(seed: 1);
            ml.Log += (_, e) => { if (e.Kind is ChannelMessageKind.Info && !e.RawMessage.StartsWith("epoch", StringComparison.Ordinal)) Console.WriteLine($"  [{e.Source}] {e.RawMessage}"); };
            var images = ImageFolders.Load(ml, folder);
            var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(images).Transform(images);
            if (variant == "split") data = ml.Data.TrainTestSplit(data, 0.2, seed: 1).TrainSet;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var options = new CspImageClassificationTrainer.Options
            {
                ImageSize = Setting("TRAINER_SPEED_SIZE") ?? 32, CropFraction = 1.0, TorchThreads = 2, Epochs = epochs,
                MetricsCallback = m => Console.WriteLine(FormattableString.Invariant(
                    $"{variant}: epoch {m.Epoch}: {m.ImagesPerSecond:F1} images/s, {m.Elapsed.TotalSeconds:F1} s; gen2 collections {GC.CollectionCount(2)}, GC paused {GC.GetTotalPauseDuration().TotalSeconds:F1} s, heap {GC.GetTotalMemory(false) / 1048576.0:F0} MB, process CPU {System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F0} s")),
            };
            if (Setting("TRAINER_SPEED_BATCH") is int batch) options.BatchSize = batch;
            if (Environment.GetEnvironmentVariable("TRAINER_SPEED_MODEL") is { Length: > 0 } model) options.Architecture = model;
            using (Environment.GetEnvironmentVariable("TRAINER_SPEED_PATH") is { } path ? MLNet.CSP.Backend.TorchBackend.UsePath(Enum.Parse<MLNet.CSP.Backend.ConvolutionPath>(path)) : null)
                ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(data).Dispose();
            Console.WriteLine(FormattableString.Invariant($"{variant}: fit {watch.Elapsed.TotalSeconds:F1} s"));
        }
    }

    private static int? Setting(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? int.Parse(value) : null;
}
