using TorchSharp.Modules;

namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// The one optimisation loop of the library, for every task: batches from an <see cref="ITrainingSource{TBatch}"/> (in memory
/// or streamed), the loss and metrics of an <see cref="ITrainingTask{TBatch}"/>, warm-up + schedule, validation every epoch,
/// early stopping with the best epoch's weights kept, freezing, per-epoch checkpoints and resume, cancellation that throws.
/// All randomness derives from one seed, so a run (and a resumed run) is repeatable on the CPU.
/// </summary>
internal sealed class TrainingLoop<TBatch>(IHost host, CspTrainingOptions options, ITrainingTask<TBatch> task,
    ITrainingSource<TBatch> train, ITrainingSource<TBatch>? validation, Device device, int seed)
{
    private readonly nn.Module model = task.Model;
    private FlatOptimizer? optimizer;
    private WeightAverage? average;
    private bool frozen;

    /// <summary>
    /// Trains from the checkpoint directory's last finished epoch (or from the start) to the end of the plan, early stop or
    /// cancellation. A plan of epochs the task returns after an epoch replaces the current one and the learning-rate schedule
    /// is stretched or shortened to end with it; lengthening applies only to a run that
    /// <see cref="CspTrainingOptions.StopAfterEpoch"/> does not end before its schedule does.
    /// </summary>
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
        bool keepBest = options.KeepBestEpoch ?? (options.EarlyStoppingPatience is not null || (task.KeepsBestEpochWithValidation && validation is { Count: > 0 }));
        bool FrozenAt(int epoch) => options.FreezeBackbone && (options.UnfreezeAfterEpochs is null || epoch < options.UnfreezeAfterEpochs);
        frozen = FrozenAt(0);
        string fingerprint = Fingerprint();
        var resumed = directory is null ? null : TrainingState.TryRead(directory, fingerprint);
        Dictionary<string, Tensor>? bestWeights = null;
        using var channel = host.Start(task.Name);
        if (options.WarmupBiasLearningRate > 0 && warmupSteps == 0)
            channel.Warning($"WarmupBiasLearningRate ({options.WarmupBiasLearningRate}) has no effect: the warm-up has no step (WarmupEpochs {options.WarmupEpochs}).");
        try
        {
            SetFrozen(resumed?.Frozen ?? frozen, force: true, channel);
            double decay = options.EmaDecay ?? task.DefaultEmaDecay;
            if (decay > 0) average = new WeightAverage(model, decay);
            if (resumed is not null)
            {
                Checkpoint.Load(model, Path.Combine(directory!, TrainingState.ModelFile));
                optimizer!.Load(Path.Combine(directory!, TrainingState.OptimizerFile));
                average?.Load(Path.Combine(directory!, TrainingState.EmaFile));
                startEpoch = resumed.CompletedEpochs;
                if (options.StopAfterEpoch is int stop && startEpoch > stop)
                    throw new InvalidOperationException($"The checkpoint in '{directory}' has {startEpoch} finished epochs, past the {stop} asked for; it belongs to a longer run.");
                (best, bestEpoch, stale) = (resumed.BestMetric, resumed.BestEpoch, resumed.EpochsWithoutImprovement);
                string bestPath = Path.Combine(directory!, TrainingState.BestFile);
                if (File.Exists(bestPath)) bestWeights = Checkpoint.Read(bestPath);
                channel.Info($"Resuming from {directory} after epoch {startEpoch}.");
            }

            int scheduleEpochs = options.Epochs, lastEpoch = Math.Min(options.Epochs, options.StopAfterEpoch ?? options.Epochs);
            bool mayLengthen = lastEpoch == options.Epochs; // a rung stopped before its schedule's end keeps the schedule
            for (int epoch = startEpoch; epoch < lastEpoch; epoch++)
            {
                SetFrozen(FrozenAt(epoch), force: false, channel);
                long started = options.Time.GetTimestamp();
                var (lr, seen) = RunEpoch(epoch, scheduleEpochs, batches, batchSize, totalSteps, warmupSteps, started);
                var trainingTime = options.Time.GetElapsedTime(started);
                var validated = validation is { Count: > 0 } ? Validate(validation, batchSize) : null;
                double watched = validated?.Watched ?? task.TrainingWatched;
                if (double.IsNaN(best) || watched < best)
                {
                    (best, bestEpoch, stale) = (watched, epoch + 1, 0);
                    if (keepBest)
                    {
                        Release(bestWeights);
                        bestWeights = average?.Snapshot() ?? model.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().cpu().clone());
                    }
                }
                else stale++;

                var outcome = task.EndEpoch(new EpochSummary(epoch + 1, scheduleEpochs, lr, seen, trainingTime, options.Time.GetElapsedTime(started), bestEpoch), validated);
                channel.Info(outcome.Log);
                if (outcome.Reschedule is int planned && Math.Max(planned, epoch + 1) is var next
                    && next != lastEpoch && (next < lastEpoch || mayLengthen))
                {
                    channel.Info($"Schedule {(next < lastEpoch ? "shortened" : "lengthened")} to {next} epochs.");
                    lastEpoch = scheduleEpochs = next;
                    totalSteps = (long)lastEpoch * batches;
                }

                if (directory is not null)
                {
                    // Staged next to the files they replace, recorded in the state, then moved into place: a run killed in between
                    // resumes from the staged files (TrainingState.TryRead completes the move) instead of finding a mismatch.
                    Checkpoint.Save(model, TrainingState.Staged(directory, TrainingState.ModelFile));
                    optimizer!.Save(TrainingState.Staged(directory, TrainingState.OptimizerFile));
                    average?.Save(TrainingState.Staged(directory, TrainingState.EmaFile));
                    if (bestWeights is not null && bestEpoch == epoch + 1) Checkpoint.Save(bestWeights, TrainingState.Staged(directory, TrainingState.BestFile));
                    new TrainingState(epoch + 1, fingerprint, best, bestEpoch, stale, frozen).Write(directory);
                }
                if (options.EarlyStoppingPatience is int patience && stale >= patience)
                {
                    channel.Info($"Early stopping after epoch {epoch + 1}: no improvement for {patience} epochs; keeping epoch {bestEpoch}.");
                    break;
                }
            }
            if (bestWeights is not null)
            {
                Checkpoint.Load(model, bestWeights, "the best epoch");
                channel.Info($"The model is epoch {bestEpoch}, the best {(validation is { Count: > 0 } ? "on the validation data" : "on the training data")}" +
                    (average is null ? "." : " (its weight average)."));
            }
            else if (average is not null)
            {
                average.CopyIntoNetwork();
                channel.Info($"The model is the weight average after {average.Updates} steps.");
            }
        }
        finally // also when a trial fails or is stopped: the optimizer's moments and the best weights are native memory
        {
            Release(bestWeights);
            optimizer?.Dispose();
            optimizer = null;
            average?.Dispose();
            average = null;
            NativeHeap.Release(); // the fit's buffers are free now: hand the pages back to the kernel
        }
    }

    private (double LearningRate, int Seen) RunEpoch(int epoch, int epochs, int batches, int batchSize, long totalSteps, long warmupSteps, long started)
    {
        var random = new Random(unchecked(seed * 7919 + epoch));
        task.SetTrainingMode(frozen);
        task.BeginEpoch(epoch, epochs);
        double lossSum = 0, lr = 0;
        int seen = 0, b = 0;
        foreach (var (images, targets) in train.TrainingBatches(batchSize, random))
        {
            using var scope = torch.NewDisposeScope();
            using var batchImages = images;
            using var batchTargets = targets as IDisposable;
            ThrowIfCancelled();
            long step = (long)epoch * batches + b;
            lr = LearningRates.At(step, totalSteps, warmupSteps, options.LearningRate, options.Schedule);
            optimizer!.LearningRate = lr;
            optimizer.BiasLearningRate = LearningRates.BiasAt(step, warmupSteps, options.WarmupBiasLearningRate, lr);
            var loss = task.Loss(images.to(device), targets);
            float value = loss.item<float>();
            if (!float.IsFinite(value))
                throw new InvalidOperationException($"The training loss became {value} at epoch {epoch + 1}, batch {b + 1} (learning rate {lr:G3}); " +
                    "training stopped instead of returning a broken model. Lower the learning rate or check the images and targets." +
                    (device.type == DeviceType.CPU && TorchBackend.Status.Path != ConvolutionPath.OneDnn ? " " + TorchBackend.Status.Describe() : ""));
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
            average?.Update();
            int n = (int)images.shape[0];
            task.AfterStep(value, n);
            lossSum += value * n;
            seen += n;
            b++;
            // Read every step, callback or not: a search's clock (a fake one in tests) advances with the steps taken.
            double seconds = options.Time.GetElapsedTime(started).TotalSeconds;
            options.BatchCallback?.Invoke(new CspBatchProgress(epoch + 1, b, batches, lossSum / seen, task.TrainingAccuracy, seen / seconds));
        }
        if (seen == 0) throw new InvalidDataException("No training image could be read in this epoch.");
        return (lr, seen);
    }

    /// <summary>The task's validation score in eval mode without gradients.</summary>
    private TaskValidation Validate(ITrainingSource<TBatch> data, int batchSize)
    {
        bool wasTraining = model.training;
        model.eval();
        using var averaged = average?.Applied();
        try
        {
            using var noGrad = torch.no_grad();
            return task.Validate(Checked(data.EvaluationBatches(batchSize)), device);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>The batches with a cancellation check before each.</summary>
    private IEnumerable<(Tensor Images, TBatch Targets)> Checked(IEnumerable<(Tensor Images, TBatch Targets)> batches)
    {
        foreach (var batch in batches)
        {
            ThrowIfCancelled();
            yield return batch;
        }
    }

    /// <summary>The options' token, and the MLContext's <c>CancelExecution</c>, stop training with <see cref="OperationCanceledException"/>.</summary>
    private void ThrowIfCancelled()
    {
        options.CancellationToken.ThrowIfCancellationRequested();
        host.CheckAlive();
    }

    private void SetFrozen(bool value, bool force, IChannel channel)
    {
        if (!force && value == frozen) return;
        frozen = value;
        foreach (var (name, parameter) in model.named_parameters())
            parameter.requires_grad = !frozen || task.IsHead(name);
        optimizer?.Dispose();
        optimizer = null;
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        bool biasGroup = options.WarmupBiasLearningRate > 0 && options.WarmupEpochs > 0;
        optimizer = new FlatOptimizer(trainable.Where(p => !biasGroup || !IsBias(p.name)).Select(p => p.parameter).ToList(),
            biasGroup ? trainable.Where(p => IsBias(p.name)).Select(p => p.parameter).ToList() : [], options.Optimizer, options.LearningRate,
            options.WeightDecay, options.ExemptNormAndBiasFromWeightDecay);
        average?.Rebind(model);
        if (!force) channel.Info(frozen ? "Backbone frozen." : "Backbone unfrozen: training the whole network.");
    }

    private static bool IsBias(string name) => name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal);

    private string Fingerprint() => string.Join("|", FlatOptimizer.StateFormat, task.Identity,
        $"ema {(options.EmaDecay ?? task.DefaultEmaDecay).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}", train.Count, validation?.Count ?? 0, options.TrainingFingerprint(), seed, train.Fingerprint);

    private static void Release(Dictionary<string, Tensor>? weights)
    {
        if (weights is null) return;
        foreach (var t in weights.Values) t.Dispose();
    }
}
