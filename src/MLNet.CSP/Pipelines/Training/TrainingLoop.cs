using MLNet.CSP.Pipelines.Classification;
using TorchSharp.Modules;

namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// The task-agnostic optimisation loop: batches from an <see cref="ITrainingSource"/> (in memory or streamed), the loss and
/// metrics of an <see cref="ITrainingTask"/>, warm-up + schedule, validation, early stopping, freezing, per-epoch checkpoints
/// and resume. All randomness derives from one seed, so a run (and a resumed run) is repeatable on the CPU.
/// </summary>
internal sealed class TrainingLoop(IHost host, CspImageClassificationOptions options, Backbone model, ITrainingTask task,
    ITrainingSource train, ITrainingSource? validation, Device device, int seed)
{
    private OptimizerHelper? optimizer;
    private bool frozen;

    public void Run()
    {
        model.to(device);
        int batchSize = Math.Min(options.BatchSize, train.Count);
        int batches = Math.Max(1, train.Count / batchSize); // the last partial batch is dropped (BatchNorm needs > 1 sample)
        long totalSteps = (long)options.Epochs * batches;
        long warmupSteps = (long)Math.Round(options.WarmupEpochs * batches);
        string? directory = options.CheckpointDirectory;
        if (directory is not null) Directory.CreateDirectory(directory);

        int startEpoch = 0;
        double best = double.NaN;
        int bestEpoch = 0, stale = 0;
        frozen = options.FreezeBackbone && (options.UnfreezeAfterEpochs is null || options.UnfreezeAfterEpochs > 0);
        string fingerprint = Fingerprint();
        var resumed = directory is null ? null : TrainingState.TryRead(directory, fingerprint);
        Dictionary<string, Tensor>? bestWeights = null;
        try
        {
            SetFrozen(resumed?.Frozen ?? frozen, force: true);
            if (resumed is not null)
            {
                Checkpoint.Load(model, Path.Combine(directory!, TrainingState.ModelFile));
                optimizer!.load_state_dict(Path.Combine(directory!, TrainingState.OptimizerFile));
                startEpoch = resumed.CompletedEpochs;
                if (options.StopAfterEpoch is int stop && startEpoch > stop)
                    throw new InvalidOperationException($"The checkpoint in '{directory}' has {startEpoch} finished epochs, past the {stop} asked for; it belongs to a longer run.");
                (best, bestEpoch, stale) = (resumed.BestMetric, resumed.BestEpoch, resumed.EpochsWithoutImprovement);
                string bestPath = Path.Combine(directory!, TrainingState.BestFile);
                if (File.Exists(bestPath)) bestWeights = Checkpoint.Read(bestPath);
                Log($"Resuming from {directory} after epoch {startEpoch}.");
            }

            using var channel = host.Start("CspImageClassification");
            int scheduleEpochs = options.Epochs, lastEpoch = Math.Min(options.Epochs, options.StopAfterEpoch ?? options.Epochs);
            bool mayLengthen = lastEpoch == options.Epochs; // a rung stopped before its schedule's end keeps the schedule
            for (int epoch = startEpoch; epoch < lastEpoch; epoch++)
            {
                SetFrozen(options.FreezeBackbone && (options.UnfreezeAfterEpochs is null || epoch < options.UnfreezeAfterEpochs), force: false);
                var metrics = RunEpoch(epoch, scheduleEpochs, batches, batchSize, totalSteps, warmupSteps);
                options.MetricsCallback?.Invoke(metrics);
                channel.Info(metrics.ToString());
                if (options.RescheduleAfterEpoch?.Invoke(metrics) is int planned && Math.Max(planned, epoch + 1) is var next
                    && next != lastEpoch && (next < lastEpoch || mayLengthen))
                {
                    channel.Info($"Schedule {(next < lastEpoch ? "shortened" : "lengthened")} to {next} epochs.");
                    lastEpoch = scheduleEpochs = next;
                    totalSteps = (long)lastEpoch * batches;
                }

                double watched = options.EarlyStoppingMetric == CspEarlyStoppingMetric.Accuracy
                    ? -(metrics.ValidationAccuracy ?? metrics.TrainAccuracy)
                    : metrics.ValidationLoss ?? metrics.TrainLoss;
                if (double.IsNaN(best) || watched < best)
                {
                    (best, bestEpoch, stale) = (watched, epoch + 1, 0);
                    if (options.EarlyStoppingPatience is not null)
                    {
                        Release(bestWeights);
                        bestWeights = model.StateDict().ToDictionary(e => e.Key, e => e.Value.detach().cpu().clone());
                    }
                }
                else stale++;

                if (directory is not null)
                {
                    // Staged next to the files they replace, recorded in the state, then moved into place: a run killed in between
                    // resumes from the staged files (TrainingState.TryRead completes the move) instead of finding a mismatch.
                    Checkpoint.Save(model, TrainingState.Staged(directory, TrainingState.ModelFile));
                    optimizer!.save_state_dict(TrainingState.Staged(directory, TrainingState.OptimizerFile));
                    if (bestWeights is not null && bestEpoch == epoch + 1) SaveState(bestWeights, TrainingState.Staged(directory, TrainingState.BestFile));
                    new TrainingState(epoch + 1, fingerprint, best, bestEpoch, stale, frozen).Write(directory);
                }
                if (options.EarlyStoppingPatience is int patience && stale >= patience)
                {
                    channel.Info($"Early stopping after epoch {epoch + 1}: no improvement for {patience} epochs; keeping epoch {bestEpoch}.");
                    break;
                }
            }
            if (bestWeights is not null) Checkpoint.Load(model, bestWeights, "the best epoch");
        }
        finally // also when a trial fails or is stopped: the optimizer's moments and the best weights are native memory
        {
            Release(bestWeights);
            optimizer?.Dispose();
            optimizer = null;
        }
    }

    private CspEpochMetrics RunEpoch(int epoch, int scheduleEpochs, int batches, int batchSize, long totalSteps, long warmupSteps)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var random = new Random(unchecked(seed * 7919 + epoch));
        if (frozen) model.eval(); else model.train();
        double lossSum = 0, lr = 0;
        long correct = 0, seen = 0;
        int b = 0;
        foreach (var (images, targets) in train.TrainingBatches(batchSize, options.Augmentation, options.MinCropScale, random))
        {
            using var scope = torch.NewDisposeScope();
            using var batchImages = images;
            using var batchTargets = targets;
            options.CancellationToken.ThrowIfCancellationRequested();
            long step = (long)epoch * batches + b;
            lr = LearningRates.At(step, totalSteps, warmupSteps, options.LearningRate, options.Schedule);
            foreach (var group in optimizer!.ParamGroups) group.LearningRate = lr;
            var x = images.to(device);
            var y = targets.to(device);
            var output = task.Forward(model, x);
            var loss = task.TrainingLoss(output, y);
            float value = loss.item<float>();
            if (!float.IsFinite(value))
                throw new InvalidOperationException($"The training loss became {value} at epoch {epoch + 1}, batch {b + 1} (learning rate {lr:G3}); " +
                    "training stopped instead of returning a broken model. Lower the learning rate or check the images." +
                    (device.type == DeviceType.CPU && TorchBackend.Status.Path != ConvolutionPath.OneDnn ? " " + TorchBackend.Status.Describe() : ""));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lossSum += value * batchSize;
            correct += task.Correct(output, y);
            seen += batchSize;
            b++;
            options.BatchCallback?.Invoke(new CspBatchProgress(epoch + 1, b, batches, lossSum / seen, correct / (double)seen, seen / watch.Elapsed.TotalSeconds));
        }
        double trainSeconds = watch.Elapsed.TotalSeconds;
        (double Loss, double Accuracy)? validationResult = validation is { Count: > 0 } ? Evaluate(validation, batchSize) : null;
        return new CspEpochMetrics(epoch + 1, scheduleEpochs, lossSum / seen, correct / (double)seen,
            validationResult?.Loss, validationResult?.Accuracy, lr, seen / trainSeconds, watch.Elapsed);
    }

    /// <summary>The task's evaluation loss and accuracy in eval mode.</summary>
    private (double Loss, double Accuracy) Evaluate(ITrainingSource data, int batchSize)
    {
        bool wasTraining = model.training;
        model.eval();
        using var noGrad = torch.no_grad();
        double lossSum = 0;
        long correct = 0, evaluated = 0;
        foreach (var (images, targets) in data.EvaluationBatches(batchSize))
        {
            using var scope = torch.NewDisposeScope();
            using var batchImages = images;
            using var batchTargets = targets;
            options.CancellationToken.ThrowIfCancellationRequested();
            var y = targets.to(device);
            var output = task.Forward(model, images.to(device));
            lossSum += task.EvaluationLossSum(output, y).item<float>();
            correct += task.Correct(output, y);
            evaluated += targets.shape[0];
        }
        model.train(wasTraining);
        // Over the rows actually evaluated: a streamed set may leave unreadable images out (SkipUnreadableImages).
        if (evaluated == 0) throw new InvalidDataException("No validation image could be read.");
        return (lossSum / evaluated, correct / (double)evaluated);
    }

    private void SetFrozen(bool value, bool force)
    {
        if (!force && value == frozen) return;
        frozen = value;
        foreach (var (name, parameter) in model.named_parameters())
            parameter.requires_grad = !frozen || name.StartsWith(task.HeadPrefix(model), StringComparison.Ordinal);
        optimizer?.Dispose();
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        optimizer = options.Optimizer switch
        {
            CspOptimizer.AdamW => torch.optim.AdamW(trainable, options.LearningRate, weight_decay: options.WeightDecay),
            CspOptimizer.SgdMomentum => torch.optim.SGD(trainable, options.LearningRate, momentum: 0.9, weight_decay: options.WeightDecay),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "Unknown optimizer."),
        };
        if (!force) Log(frozen ? "Backbone frozen." : "Backbone unfrozen: training the whole network.");
    }

    private string Fingerprint() => string.Join("|", model.Architecture, model.NumClasses, train.Count, validation?.Count ?? 0, options.Epochs,
        options.BatchSize, options.LearningRate, options.Optimizer, options.WeightDecay, options.Schedule, options.WarmupEpochs,
        options.LabelSmoothing, options.Augmentation, options.MinCropScale, options.FreezeBackbone, options.UnfreezeAfterEpochs, seed,
        train.Fingerprint);

    private void Log(string message)
    {
        using var channel = host.Start("CspImageClassification");
        channel.Info(message);
    }

    private static void SaveState(Dictionary<string, Tensor> weights, string path) =>
        TorchSharp.PyBridge.Safetensors.SaveStateDict(path, weights);

    private static void Release(Dictionary<string, Tensor>? weights)
    {
        if (weights is null) return;
        foreach (var t in weights.Values) t.Dispose();
    }
}
