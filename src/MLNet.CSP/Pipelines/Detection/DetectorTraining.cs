using System.Diagnostics;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Training;

namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// The detector's optimisation: AdamW, linear warm-up then cosine to zero (the classifier's schedule), seeded shuffling and
/// flips, the YOLOv3 objective, a non-finite loss stops training. Cancellation stops between batches and keeps the weights.
/// </summary>
internal sealed class DetectorTraining(IHost host, CspObjectDetectionOptions options, CspDetector detector, DetectionImages data,
    ImagePreprocessing normalisation, Device device, int seed)
{
    public void Run()
    {
        detector.to(device);
        detector.train();
        var loss = new DetectionLoss(detector.Anchors, detector.NumClasses, options.BoxLoss);
        var parameters = detector.parameters().ToList();
        using var optimizer = torch.optim.AdamW(parameters, options.LearningRate, weight_decay: options.WeightDecay);
        int batchSize = Math.Min(options.BatchSize, data.Count);
        int batches = Math.Max(1, data.Count / batchSize); // a last partial batch is dropped (BatchNorm needs > 1 sample)
        long totalSteps = (long)options.Epochs * batches;
        long warmupSteps = (long)Math.Round(options.WarmupEpochs * batches);
        var random = new Random(seed);
        using var channel = host.Start("CspObjectDetection");
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            var order = Enumerable.Range(0, data.Count).ToArray();
            random.Shuffle(order);
            double sum = 0, box = 0, obj = 0, cls = 0, lr = 0;
            int done = 0;
            for (int b = 0; b < batches; b++)
            {
                if (options.CancellationToken.IsCancellationRequested) break;
                using var scope = torch.NewDisposeScope();
                var rows = new ArraySegment<int>(order, b * batchSize, batchSize);
                var flips = rows.Select(_ => options.HorizontalFlip && random.NextDouble() < 0.5).ToArray();
                var (images, targets) = data.Batch(rows, flips);
                var input = ImageTensors.Normalize(images.to(device), normalisation);
                lr = LearningRates.At((long)epoch * batches + b, totalSteps, warmupSteps, options.LearningRate, CspLearningRateSchedule.Cosine);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                var (total, boxLoss, objLoss, clsLoss) = loss.Compute(detector.call(input), targets);
                float value = total.item<float>();
                if (!float.IsFinite(value))
                    throw new InvalidOperationException($"The detector's training loss became {value} at epoch {epoch + 1}, batch {b + 1} (learning rate {lr:G3}); training stopped. Lower the learning rate or check the boxes.");
                optimizer.zero_grad();
                total.backward();
                optimizer.step();
                (sum, box, obj, cls) = (sum + value, box + boxLoss, obj + objLoss, cls + clsLoss);
                done++;
            }
            if (done == 0) break;
            var metrics = new CspDetectionEpochMetrics(epoch + 1, options.Epochs, sum / done, box / done, obj / done, cls / done, lr, watch.Elapsed);
            options.MetricsCallback?.Invoke(metrics);
            channel.Info(metrics.ToString());
            if (options.CancellationToken.IsCancellationRequested) break;
        }
        detector.eval();
    }
}
