
namespace MLNet.CSP.Pipelines.Training;

/// <summary>The learning rate at each optimisation step: linear warm-up, then constant or cosine decay.</summary>
internal static class LearningRates
{
    public static double At(long step, long totalSteps, long warmupSteps, double peak, CspLearningRateSchedule schedule)
    {
        if (warmupSteps > 0 && step < warmupSteps) return peak * (step + 1) / warmupSteps;
        if (schedule == CspLearningRateSchedule.Constant) return peak;
        long decaySteps = Math.Max(1, totalSteps - warmupSteps);
        double progress = Math.Clamp((step - warmupSteps) / (double)decaySteps, 0, 1);
        return peak * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>
    /// The biases' rate for a warm-up that starts them at <paramref name="start"/>: it falls linearly to the schedule's while the
    /// others' rises from 0 (<paramref name="learningRate"/>, the rate <see cref="At"/> gave for this step); after the warm-up, the same.
    /// </summary>
    public static double BiasAt(long step, long warmupSteps, double start, double learningRate) =>
        warmupSteps > 0 && step < warmupSteps ? start * (1 - (step + 1) / (double)warmupSteps) + learningRate : learningRate;
}
