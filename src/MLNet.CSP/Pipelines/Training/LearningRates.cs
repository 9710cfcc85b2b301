
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
}
