import { describeRouteMatcherConformance } from '../../test/conformance/route-matcher.cases.ts';
import { createRouteMatcher } from './indexed-matcher.ts';
import { createLinearMatcher } from './linear-matcher.ts';

describeRouteMatcherConformance('linear', createLinearMatcher);
describeRouteMatcherConformance('indexed', createRouteMatcher);
