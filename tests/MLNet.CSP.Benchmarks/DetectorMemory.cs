using System.Diagnostics;
using Microsoft.ML;
using MLNet.CSP.Pipelines.Detection;
using MLNet.CSP.Pipelines.Training;

namespace MLNet.CSP.Benchmarks;

/// <summary><c>detector-memory DIR MODE STEPS</c>: see <see cref="DetectorEpochs"/>.</summary>
internal static class DetectorMemory
{
    public static void Run(string folder, CspCacheMode mode, int steps)
    {
        var (ml, prepared) = DetectorEpochs.Load(folder);
        int images = File.ReadAllLines(Path.Combine(folder, "boxes.tsv")).Length;
        using var stop = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        double firstBatchAt = 0, measuredFrom = 0;
        int seen = 0;
        var options = new CspObjectDetectionTrainer.Options
        {
            ImageSize = 416, BatchSize = 16, Epochs = 1, TorchThreads = 2, CacheMode = mode, CancellationToken = stop.Token,
            BatchCallback = b =>
            {
                seen++;
                if (seen == 1) firstBatchAt = watch.Elapsed.TotalSeconds;
                if (seen == 2) measuredFrom = watch.Elapsed.TotalSeconds;
                if (seen == steps) stop.Cancel();
            },
        };
        try
        {
            ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(prepared).Dispose();
        }
        catch (OperationCanceledException)
        {
            // Stopped inside the first epoch on purpose, after the measured batches.
        }
        double rate = (seen - 2) * 16 / (watch.Elapsed.TotalSeconds - measuredFrom);
        Console.WriteLine(FormattableString.Invariant(
            $"{images} images, {mode}: first batch after {firstBatchAt:F1} s, {rate:F1} images/s over batches 3-{seen}, peak resident {ProcessMemory.PeakResidentBytes() / 1048576.0:F0} MB"));
    }
}
